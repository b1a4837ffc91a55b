#pragma once
// The store's statements (gateway/store/sql_session.hpp) on one SQLite connection.

#include <memory>
#include <string>

#include "gateway/store/sql_session.hpp"

struct sqlite3;

namespace ketenpoort {

class SqliteSession final : public sql::Session {
 public:
  // `db` stays the caller's: opened with store_internal::openDatabase (whose statement
  // cache this uses) and closed by it after this session is gone.
  explicit SqliteSession(sqlite3* db) : db_(db) {}
  // A session on a connection of its own (store_internal::openDatabase's flags), closed
  // with it. Throws std::runtime_error when the file cannot be opened.
  static std::unique_ptr<SqliteSession> open(const std::string& path, int flags, int busy_timeout_ms);
  // Read and write, on a file the log's writer created.
  static std::unique_ptr<SqliteSession> open(const std::string& path, int busy_timeout_ms);
  ~SqliteSession() override;
  SqliteSession(const SqliteSession&) = delete;
  SqliteSession& operator=(const SqliteSession&) = delete;

  void execute(std::string_view statements) override;
  std::string_view beginWrite() const override { return "BEGIN IMMEDIATE"; }
  // A WAL reader sees the snapshot of its first read until it ends.
  std::string_view beginRead() const override { return "BEGIN"; }
  void eraseRemovedBytes(std::string_view table) override;
  sqlite3* get() const { return db_; }

 protected:
  sql::Rows runStatement(std::string_view statement, std::span<const sql::Value> params) override;

 private:
  sqlite3* db_;
  bool owned_ = false;
  int busy_timeout_ms_ = 5000;  // what eraseRemovedBytes sets back
};

}  // namespace ketenpoort
