#pragma once

#include <cstdint>
#include <filesystem>

namespace ketenpoort {

struct SqliteBackupResult {
  std::uint64_t pages = 0;
  std::uint64_t bytes = 0;
};

// A consistent copy of a running store's SQLite file at `target` (SQLite's online backup
// API, in one step: one read snapshot while the gateway's writer goes on in the WAL). The
// copy is written as `target`.partial (mode 0600 before a byte is written), checked with
// `PRAGMA quick_check`, made a single file (journal mode DELETE), synced and renamed into
// place, so `target` is either absent or a whole copy. Never overwrites: throws
// std::runtime_error when `target` or a partial copy exists, when the store cannot be
// read within `busy_timeout_ms`, or when the copy does not check.
//
// The copy holds the database only: the log's signing key and the subject key beside it
// do not change after the first start and are kept apart (docs/operations.md).
SqliteBackupResult backupSqliteStore(const std::filesystem::path& database, const std::filesystem::path& target,
                                     int busy_timeout_ms);

}  // namespace ketenpoort
