#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/registry_store.hpp"

struct sqlite3;

namespace ketenpoort {

// The registries' reads from the gateway's SQLite database. Lookups are indexed reads
// (microseconds) on prepared statements; they belong on a worker thread, not a network
// thread. Writes go through the exchange log (RegistryStore) and land in
// SqliteRegistryWrites inside the log's transaction.
class SqliteRegistryStore final : public RegistryStore {
 public:
  SqliteRegistryStore(const std::filesystem::path& database, const SubjectReferencer& referencer,
                      ExchangeLog& log);
  ~SqliteRegistryStore() override;

  std::optional<std::string> gemeenteOf(const SubjectKey& subject,
                                        const CivilDate& date) const override;
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
  struct Lookups;  // the policy engine's queries, prepared once

  // The reference linked to `subject_ref` (a BSN's V-nummer or the reverse), or
  // `subject_ref` itself when none; under read_mutex_.
  std::string linkedReference(const std::string& subject_ref) const;

  mutable std::mutex read_mutex_;
  sqlite3* read_ = nullptr;
  std::unique_ptr<Lookups> lookups_;  // used under read_mutex_
};

// Internal to the SQLite store: the registry tables and their writes, run by the exchange
// log's writer inside a record's transaction.
namespace sqlite_registry {
void createSchema(sqlite3* db);
void recordKoppeling(sqlite3* db, const KoppelingEntry& koppeling);
void insertConsent(sqlite3* db, const ConsentEntry& consent);
void withdrawConsent(sqlite3* db, const std::string& consent_id, const CivilDate& date);
void upsertAgreement(sqlite3* db, const AgreementEntry& agreement);
void linkIdentities(sqlite3* db, const IdentityLinkEntry& link);
}  // namespace sqlite_registry

}  // namespace ketenpoort
