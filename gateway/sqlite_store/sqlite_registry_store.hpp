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

struct sqlite3;

namespace ketenpoort {

class SqliteExchangeLog;

// The registries of the gateway's SQLite database. The decisions' reads (koppeling,
// agreement, consent, identity links, a consent or agreement by id) come from the log
// writer's in-memory RegistrySnapshot: no query, no lock a writer holds. Before each read
// it looks whether a process other than this one changed the registries since (every
// writer of the file bumps a marker file after committing a registry change, ADR 0012)
// and then loads them anew. Listings for the CLI and the audit API are queries. Writes go
// through the exchange log (RegistryStore) and land in sqlite_registry inside the log's
// transaction.
class SqliteRegistryStore final : public RegistryStore {
 public:
  SqliteRegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                      SqliteExchangeLog& log);
  ~SqliteRegistryStore() override;

  std::optional<KoppelingInForce> koppelingOf(const SubjectKey& subject, const CivilDate& date) const override;
  std::optional<std::string> gemeenteOfReference(const std::string& subject_ref,
                                                 const CivilDate& date) const override;
  Link linkOf(const std::string& bsn, const std::string& vnummer) const override;
  std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                       std::string_view gemeente_cbs_code,
                                       const CivilDate& date) const override;
  std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id,
                                        const Oin& recipient,
                                        const CivilDate& date) const override;

  std::vector<ConsentEntry> listConsentsByReference(
      const std::optional<std::string>& subject_ref) const override;
  std::optional<ConsentEntry> consent(const std::string& id) const override;
  std::optional<AgreementEntry> agreement(const std::string& id) const override;

 private:
  // The snapshot, loaded anew first when another process changed the registries.
  const RegistrySnapshot& current() const override;

  SqliteExchangeLog& log_;
  mutable std::mutex read_mutex_;
  sqlite3* read_ = nullptr;
  // The marker's value once the snapshot had caught up with it (or "none yet").
  mutable std::atomic<std::uint64_t> caught_up_with_{~std::uint64_t{0}};
};

// Internal to the SQLite store: the registry tables (their statements are
// gateway/store/registry_tables.cpp, shared with PostgreSQL). Inside the caller's write
// transaction: a file of an older layout is brought to this one.
namespace sqlite_registry {
void createSchema(sqlite3* db);
}  // namespace sqlite_registry

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
