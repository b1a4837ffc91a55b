#pragma once
// The store's statements (gateway/store/sql_session.hpp) on one PostgreSQL connection.

#include <memory>
#include <string>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

class PgSession final : public sql::Session {
 public:
  explicit PgSession(pg::Connection& connection) : connection_(connection) {}
  // A session on a connection of its own, for reads outside a transaction: a statement
  // that failed because the server went away (a restart, a failover) is run once more on
  // a new connection. Throws pg::PgError when it cannot connect.
  static std::unique_ptr<PgSession> forReads(const std::string& dsn) {
    auto session = open(dsn);
    session->reconnect_reads_ = true;
    return session;
  }
  // A session on a connection of its own. Throws pg::PgError when it cannot connect.
  static std::unique_ptr<PgSession> open(const std::string& dsn) {
    auto owned = std::make_unique<pg::Connection>(dsn);
    auto session = std::make_unique<PgSession>(*owned);
    session->owned_ = std::move(owned);
    return session;
  }

  void execute(std::string_view statements) override { connection_.execute(statements); }
  std::string_view beginWrite() const override { return "BEGIN"; }
  std::string_view beginRead() const override { return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"; }
  void eraseRemovedBytes(std::string_view table) override { connection_.execute("VACUUM " + std::string(table)); }
  pg::Connection& connection() const { return connection_; }

 protected:
  sql::Rows runStatement(std::string_view statement, std::span<const sql::Value> params) override {
    if (!reconnect_reads_) return connection_.run(statement, params);
    return pg::runReconnecting(connection_, statement, params);
  }

 private:
  pg::Connection& connection_;
  std::unique_ptr<pg::Connection> owned_;
  bool reconnect_reads_ = false;
};

}  // namespace ketenpoort
