#pragma once
// The store's statements (gateway/store/sql_session.hpp) on one PostgreSQL connection.

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

class PgSession final : public sql::Session {
 public:
  explicit PgSession(pg::Connection& connection) : connection_(connection) {}

  sql::Dialect dialect() const override { return sql::Dialect::kPostgresql; }
  void execute(std::string_view statements) override { connection_.execute(statements); }
  pg::Connection& connection() const { return connection_; }

 protected:
  sql::Rows runStatement(std::string_view statement, std::span<const sql::Value> params) override {
    return connection_.run(statement, params).toRows();
  }

 private:
  pg::Connection& connection_;
};

}  // namespace ketenpoort
