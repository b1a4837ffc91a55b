#include "gateway/sqlite_store/sqlite_statement.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace ketenpoort::store_internal {

namespace {

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
  check(db, sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                               &statement, nullptr),
        "prepare");
  return statement;
}

}  // namespace

namespace {
// SQLite counts every allocation under one global mutex unless told not to (memory
// status, which nothing here reads): under load that mutex was among the gateway's most
// contended. Must run before SQLite initializes; a no-op (SQLITE_MISUSE) if it already has.
const bool kMemoryStatusOff = [] {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return true;
}();
}  // namespace

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

namespace {
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
}  // namespace

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

}  // namespace ketenpoort::store_internal
