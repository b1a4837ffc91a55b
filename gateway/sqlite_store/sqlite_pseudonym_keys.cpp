#include "gateway/sqlite_store/sqlite_pseudonym_keys.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::closeDatabase;
using store_internal::exec;
using store_internal::openDatabase;
using store_internal::Statement;

namespace {

constexpr int kBusyTimeoutMs = 10'000;  // longer than any group commit of the writer

// Holds wrapped keys only (ADR 0020): without the subject key they unlock nothing.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS pseudonym_keys (
  period INTEGER PRIMARY KEY,
  wrapped TEXT NOT NULL,
  created_utc TEXT NOT NULL,
  destroyed_utc TEXT
);
)sql";

struct Connection {
  explicit Connection(const std::filesystem::path& path)
      : db(openDatabase(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kBusyTimeoutMs)) {}
  ~Connection() { closeDatabase(db); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* db;
};

}  // namespace

SqlitePseudonymKeys::SqlitePseudonymKeys(std::filesystem::path database) : database_(std::move(database)) {
  Connection c(database_);
  exec(c.db, kSchema);
}

std::vector<StoredPseudonymKey> SqlitePseudonymKeys::load() {
  Connection c(database_);
  Statement q(c.db,
              "SELECT period, wrapped, created_utc, COALESCE(destroyed_utc, '') FROM pseudonym_keys ORDER BY period");
  std::vector<StoredPseudonymKey> keys;
  while (q.step()) {
    keys.push_back({static_cast<int>(q.integer(0)), std::string(q.text(1)), std::string(q.text(2)),
                    std::string(q.text(3))});
  }
  return keys;
}

void SqlitePseudonymKeys::addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) {
  Connection c(database_);
  Statement insert(c.db, "INSERT INTO pseudonym_keys (period, wrapped, created_utc) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT (period) DO NOTHING");
  insert.bindInt(1, period);
  insert.bindText(2, wrapped);
  insert.bindText(3, now_utc);
  insert.step();
}

std::vector<int> SqlitePseudonymKeys::destroyBefore(int before_period, const std::string& now_utc) {
  Connection c(database_);
  // Debian's SQLite is built with it on; said here so that no other build leaves the old
  // key's bytes in a free block of the page.
  exec(c.db, "PRAGMA secure_delete = ON");
  exec(c.db, "BEGIN IMMEDIATE");
  std::vector<int> destroyed;
  try {
    {
      Statement update(c.db, "UPDATE pseudonym_keys SET wrapped = '', destroyed_utc = ?2 "
                             "WHERE period < ?1 AND destroyed_utc IS NULL RETURNING period");
      update.bindInt(1, before_period);
      update.bindText(2, now_utc);
      while (update.step()) destroyed.push_back(static_cast<int>(update.integer(0)));
    }
    exec(c.db, "COMMIT");
  } catch (...) {
    sqlite3_exec(c.db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  // The WAL still holds the page as it was; a checkpoint that truncates it leaves only the
  // overwritten page. Without a busy handler TRUNCATE takes the write lock only when it is
  // free, so pushes are never stalled (as the log's own checkpointer does it); under
  // constant load it may not get it within the tries, and the frames are overwritten when
  // the WAL next wraps.
  if (!destroyed.empty()) {
    sqlite3_busy_timeout(c.db, 0);
    for (int attempt = 0; attempt < 40; ++attempt) {
      if (sqlite3_wal_checkpoint_v2(c.db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_OK) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  return destroyed;
}

}  // namespace ketenpoort
