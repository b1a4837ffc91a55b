#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/registry_store.hpp"

namespace ketenpoort {

class PgExchangeLog;

// The registries in PostgreSQL. Decisions read the log writer's in-memory snapshot (ADR
// 0012), which the writer keeps current with its own commits and loads anew when another
// node changed the registries (ADR 0016: the version every commit compares, and a
// notification that wakes an idle node). Listings for the CLI and the audit API are
// queries on a connection of their own. Writes go through the exchange log
// (RegistryStore) and land in pg_registry inside the log's transaction.
class PgRegistryStore final : public RegistryStore {
 public:
  PgRegistryStore(const std::string& dsn, const SubjectReferencer& referencer, PgExchangeLog& log);

  std::optional<KoppelingInForce> koppelingOf(const SubjectKey& subject, const CivilDate& date) const override;
  std::optional<std::string> gemeenteOfReference(const std::string& subject_ref,
                                                 const CivilDate& date) const override;
  Link linkOf(const std::string& bsn, const std::string& vnummer) const override;
  std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                       std::string_view gemeente_cbs_code, const CivilDate& date) const override;
  std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id,
                                        const Oin& recipient, const CivilDate& date) const override;

  std::vector<ConsentEntry> listConsentsByReference(const std::optional<std::string>& subject_ref) const override;
  std::optional<ConsentEntry> consent(const std::string& id) const override;
  std::optional<AgreementEntry> agreement(const std::string& id) const override;

 private:
  const RegistrySnapshot& current() const override;

  PgExchangeLog& log_;
  mutable std::mutex read_mutex_;
  mutable pg::Connection read_;
};

}  // namespace ketenpoort
