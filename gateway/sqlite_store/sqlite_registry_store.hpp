#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/registry_store.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

class SqliteExchangeLog;

// The registries of the gateway's SQLite database (RegistryStore). Before each read the
// snapshot catches up when a process other than this one changed the registries since
// (every writer of the file bumps a marker file after committing a registry change, ADR
// 0012): one pread when nothing changed.
class SqliteRegistryStore final : public RegistryStore {
 public:
  SqliteRegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                      SqliteExchangeLog& log);

 private:
  const RegistrySnapshot& current() const override;

  SqliteExchangeLog& log_;
  mutable std::mutex catch_up_mutex_;
  std::unique_ptr<sql::Session> catch_up_;  // reads what others changed
  // The marker's value once the snapshot had caught up with it (or "none yet").
  mutable std::atomic<std::uint64_t> caught_up_with_{~std::uint64_t{0}};
};

// The file every writer of a database rewrites after committing a registry change (its
// content: the new version), so that a process holding a snapshot of the registries sees
// with one read that it must look at the database again.
class RegistryChangeMarker {
 public:
  explicit RegistryChangeMarker(const std::filesystem::path& database);
  ~RegistryChangeMarker();
  RegistryChangeMarker(const RegistryChangeMarker&) = delete;
  RegistryChangeMarker& operator=(const RegistryChangeMarker&) = delete;

  void announce(std::uint64_t version);
  // The version last announced (0 when none or unreadable). One pread.
  std::uint64_t read() const;

 private:
  int fd_ = -1;
};

}  // namespace ketenpoort
