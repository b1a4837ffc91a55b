#include "gateway/sqlite_store/sqlite_session.hpp"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <thread>
#include <string>

#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::check;
using store_internal::Statement;

std::unique_ptr<SqliteSession> SqliteSession::open(const std::string& path, int flags, int busy_timeout_ms) {
  auto session = std::make_unique<SqliteSession>(store_internal::openDatabase(path, flags, busy_timeout_ms));
  session->owned_ = true;
  session->busy_timeout_ms_ = busy_timeout_ms;
  // Debian's SQLite is built with it on; said here so that no other build leaves a removed
  // row's bytes (a body, a key) in a free block of a page this connection writes.
  session->execute("PRAGMA secure_delete = ON");
  return session;
}

std::unique_ptr<SqliteSession> SqliteSession::open(const std::string& path, int busy_timeout_ms) {
  return open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, busy_timeout_ms);
}

void SqliteSession::eraseRemovedBytes(std::string_view table) {
  (void)table;  // secure_delete overwrote the rows; what is left is the WAL's old pages
  // A checkpoint that truncates the WAL leaves only the overwritten pages. Without a busy
  // handler TRUNCATE takes the write lock only when it is free, so pushes are never stalled
  // (as the log's own checkpointer does it); under constant load it may not get it within
  // the tries, and the frames are overwritten when the WAL next wraps.
  sqlite3_busy_timeout(db_, 0);
  for (int attempt = 0; attempt < 40; ++attempt) {
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_OK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms_);
}

SqliteSession::~SqliteSession() {
  if (owned_) store_internal::closeDatabase(db_);
}

void SqliteSession::execute(std::string_view statements) { store_internal::exec(db_, std::string(statements).c_str()); }

namespace {

// `$n` must be SQLite's parameter n: SQLite numbers named parameters in order of first
// appearance, so a statement naming `$2` before `$1` would bind each value to the other.
void requireNumberedInOrder(sqlite3_stmt* statement, std::size_t given) {
  const int count = sqlite3_bind_parameter_count(statement);
  if (static_cast<std::size_t>(count) != given) {
    throw std::logic_error("a statement takes " + std::to_string(count) + " parameters and was given " +
                           std::to_string(given));
  }
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(statement, i);
    if (name == nullptr || name[0] != '$' || std::string_view(name + 1) != std::to_string(i)) {
      throw std::logic_error("a statement's parameters are not $1, $2, … in order of first use");
    }
  }
}

std::optional<std::string> cellOf(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER: {
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof digits, sqlite3_column_int64(statement, column)).ptr;
      return std::string(digits, end);
    }
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, column));
      return std::string(bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
    }
    default: {  // text, and a REAL as SQLite spells it
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      return std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
    }
  }
}

}  // namespace

sql::Rows SqliteSession::runStatement(std::string_view statement, std::span<const sql::Value> params) {
  Statement q(db_, statement);
  sqlite3_stmt* s = q.get();
  requireNumberedInOrder(s, params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    // The values outlive the statement's steps (they are the caller's): no copy.
    if (const auto* text = std::get_if<std::string_view>(&params[i])) {
      q.bindTextNoCopy(index, *text);
    } else if (const auto* blob = std::get_if<sql::Blob>(&params[i])) {
      check(db_, sqlite3_bind_blob(s, index, blob->bytes.data(), static_cast<int>(blob->bytes.size()), SQLITE_STATIC),
            "bind");
    } else if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      q.bindInt(index, *integer);
    } else {
      check(db_, sqlite3_bind_null(s, index), "bind");
    }
  }
  const int columns = sqlite3_column_count(s);
  std::vector<std::optional<std::string>> cells;
  while (q.step()) {
    for (int c = 0; c < columns; ++c) cells.push_back(cellOf(s, c));
  }
  const auto affected = static_cast<std::uint64_t>(sqlite3_changes64(db_));
  return sql::Rows(columns, std::move(cells), affected);
}

}  // namespace ketenpoort
