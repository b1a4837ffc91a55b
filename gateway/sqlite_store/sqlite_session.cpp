#include "gateway/sqlite_store/sqlite_session.hpp"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <string>
#include <thread>

#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace ketenpoort {

namespace {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

// The statements of one connection not in use right now, by SQL text. A connection is
// used by one thread at a time, so its mutex is uncontended; it only guards against a
// caller that hands a connection from thread to thread.
// Looked up by string_view: no string is built for a lookup on the hot path.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};
struct ConnectionCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, SqlHash, std::equal_to<>> idle;
};

struct Caches {
  std::shared_mutex mutex;  // taken exclusively only to open or close a connection
  std::unordered_map<sqlite3*, std::unique_ptr<ConnectionCache>> by_connection;
};

Caches& caches() {
  static Caches instance;
  return instance;
}

// Small per-connection statement pools; beyond this a statement is finalized on return.
constexpr std::size_t kMaxIdlePerSql = 4;

sqlite3_stmt* prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  check(
      db,
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &statement, nullptr),
      "prepare");
  return statement;
}

// SQLite counts every allocation under one global mutex unless told not to (memory
// status, which nothing here reads): under load that mutex was among the gateway's most
// contended. Must run before SQLite initializes; a no-op (SQLITE_MISUSE) if it already has.
const bool kMemoryStatusOff = [] {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return true;
}();

sqlite3* openDatabase(const std::string& path, int flags, int busy_timeout_ms) {
  (void)kMemoryStatusOff;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  Caches& c = caches();
  std::unique_lock lock(c.mutex);
  c.by_connection[db] = std::make_unique<ConnectionCache>();
  return db;
}

void closeDatabase(sqlite3* db) {
  if (db == nullptr) return;
  std::unique_ptr<ConnectionCache> cache;
  {
    Caches& c = caches();
    std::unique_lock lock(c.mutex);
    const auto it = c.by_connection.find(db);
    if (it != c.by_connection.end()) {
      cache = std::move(it->second);
      c.by_connection.erase(it);
    }
  }
  if (cache) {
    for (auto& [sql, statements] : cache->idle) {
      for (sqlite3_stmt* s : statements) sqlite3_finalize(s);
    }
  }
  sqlite3_close(db);
}

// Runs `use` on the connection's cache under its lock; false when the connection has no
// cache (opened elsewhere) or `use` says so.
template <class Use>
bool withCache(sqlite3* db, Use use) {
  Caches& c = caches();
  std::shared_lock lock(c.mutex);
  const auto it = c.by_connection.find(db);
  if (it == c.by_connection.end()) return false;
  std::lock_guard connection_lock(it->second->mutex);
  return use(*it->second);
}

sqlite3_stmt* borrowStatement(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  withCache(db, [&](ConnectionCache& cache) {
    const auto found = cache.idle.find(sql);
    if (found == cache.idle.end() || found->second.empty()) return false;
    statement = found->second.back();
    found->second.pop_back();
    return true;
  });
  return statement != nullptr ? statement : prepare(db, sql);
}

void returnStatement(sqlite3* db, std::string_view sql, sqlite3_stmt* statement) {
  if (statement == nullptr) return;
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  const bool kept = withCache(db, [&](ConnectionCache& cache) {
    auto found = cache.idle.find(sql);
    if (found == cache.idle.end()) found = cache.idle.emplace(std::string(sql), std::vector<sqlite3_stmt*>()).first;
    auto& idle = found->second;
    if (idle.size() >= kMaxIdlePerSql) return false;
    idle.push_back(statement);
    return true;
  });
  if (!kept) sqlite3_finalize(statement);
}

// A statement of the connection's cache (prepared on first use, reset and given back when
// it goes), or of its own when the cache has none free. Preparing costs more than running
// the small statements of the hot path: without the cache, sqlite3_prepare was 18 % of
// the gateway's CPU under load.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql), stmt_(borrowStatement(db, sql)) {}
  ~Statement() { returnStatement(db_, sql_, stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    check(db_, rc, "step");
    return false;
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::unique_ptr<SqliteSession> SqliteSession::open(const std::string& path, int flags, int busy_timeout_ms) {
  auto session = std::make_unique<SqliteSession>(openDatabase(path, flags, busy_timeout_ms));
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
  if (owned_) closeDatabase(db_);
}

void SqliteSession::execute(std::string_view statements) {
  // One statement (BEGIN, COMMIT, SAVEPOINT, a pragma): through the cache, as every group
  // commit runs several.
  if (statements.find(';') == std::string_view::npos) {
    Statement(db_, statements).step();
    return;
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, std::string(statements).c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(message);
  }
}

namespace {

// `$n` must be SQLite's parameter n: SQLite numbers named parameters in order of first
// appearance, so a statement naming `$2` before `$1` would bind each value to the other.
void requireNumberedInOrder(sqlite3_stmt* statement, std::size_t given) {
  const int count = sqlite3_bind_parameter_count(statement);
  if (static_cast<std::size_t>(count) != given) {
    throw std::logic_error("a statement takes " + std::to_string(count) + " parameters and was given " +
                           std::to_string(given));
  }
  // On every run of the hot path's statements: no allocation.
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(statement, i);
    const std::string_view digits = name != nullptr && name[0] == '$' ? std::string_view(name + 1) : std::string_view();
    int number = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || number != i) {
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
      check(db_, sqlite3_bind_text(s, index, text->data(), static_cast<int>(text->size()), SQLITE_STATIC), "bind");
    } else if (const auto* blob = std::get_if<sql::Blob>(&params[i])) {
      check(db_, sqlite3_bind_blob(s, index, blob->bytes.data(), static_cast<int>(blob->bytes.size()), SQLITE_STATIC),
            "bind");
    } else if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
      check(db_, sqlite3_bind_int64(s, index, *integer), "bind");
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
