#pragma once
// Internal to the store module: thin RAII over the SQLite C API.

#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace ketenpoort::store_internal {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

inline void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw SqliteError(rc, std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

inline void exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(rc, message);
  }
}

// Opens a connection with `flags` and a busy timeout, with a cache of its prepared
// statements; throws std::runtime_error naming the file and SQLite's reason when it
// cannot. Close it with closeDatabase.
sqlite3* openDatabase(const std::string& path, int flags, int busy_timeout_ms);
// Finalizes the connection's cached statements, then closes it. Null is fine.
void closeDatabase(sqlite3* db);

// A prepared statement of the connection's cache (prepared on first use, reset and given
// back when the Statement goes), or of its own when the cache has none free or the
// connection has no cache. Preparing costs more than running the small statements of the
// hot path: without the cache, sqlite3_prepare was 18 % of the gateway's CPU under load.
sqlite3_stmt* borrowStatement(sqlite3* db, std::string_view sql);
void returnStatement(sqlite3* db, std::string_view sql, sqlite3_stmt* statement);

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql), stmt_(borrowStatement(db, sql)) {}
  ~Statement() { returnStatement(db_, sql_, stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bindText(int index, std::string_view text) {
    check(db_, sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_TRANSIENT),
          "bind");
  }
  // The text must stay alive until the statement has been stepped.
  void bindTextNoCopy(int index, std::string_view text) {
    check(db_, sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                 SQLITE_STATIC),
          "bind");
  }
  void bindBlob(int index, std::string_view bytes) {
    check(db_, sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT),
          "bind");
  }
  void bindInt(int index, std::int64_t value) {
    check(db_, sqlite3_bind_int64(stmt_, index, value), "bind");
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    check(db_, rc, "step");
    return false;
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string_view text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string_view();
  }
  std::string_view blob(int column) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string_view();
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs one statement (BEGIN, SAVEPOINT, …) through the cache.
inline void run(sqlite3* db, std::string_view sql) { Statement(db, sql).step(); }

}  // namespace ketenpoort::store_internal
