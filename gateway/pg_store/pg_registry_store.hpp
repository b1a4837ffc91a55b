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

// Internal to the PostgreSQL store: the registry tables' writes, run by the exchange
// log's writer inside a record's transaction, and their loading.
namespace pg_registry {
void recordKoppeling(pg::Connection& c, const KoppelingEntry& koppeling);
void insertConsent(pg::Connection& c, const ConsentEntry& consent);
void withdrawConsent(pg::Connection& c, const std::string& consent_id, const CivilDate& date);
void upsertAgreement(pg::Connection& c, const AgreementEntry& agreement);
void linkIdentities(pg::Connection& c, const IdentityLinkEntry& link);
RegistryHistoryRemoved removeHistory(pg::Connection& c, const CivilDate& ended_before);
std::uint64_t version(pg::Connection& c);
// Raises the version by one and returns the new one. The row stays locked until the
// transaction ends, so two nodes' registry changes are numbered one after the other.
std::uint64_t raiseVersion(pg::Connection& c);
// Everything at one version; runs its own REPEATABLE READ transaction.
RegistrySnapshot::Contents load(pg::Connection& c);

// A change as the registry_changes row keeps it (JSON: what the change wrote), and back.
// Written with the version it raised to, so other nodes apply it in order.
std::string encodeKoppeling(const KoppelingEntry& koppeling);
std::string encodeConsentInserted(const ConsentEntry& consent);
std::string encodeConsentWithdrawn(const std::string& consent_id, const CivilDate& date);
std::string encodeAgreement(const AgreementEntry& agreement);
std::string encodeIdentityLink(const IdentityLinkEntry& link);
std::string encodeHistoryRemoved(const CivilDate& ended_before);
// Throws std::runtime_error for a row this version cannot read.
RegistrySnapshot::Change decodeChange(std::string_view encoded);
void recordChange(pg::Connection& c, std::uint64_t version, const std::string& encoded);
// Removes the change rows before `version`: after a purge of the history they would still
// name what it removed. A node behind them loads the registries anew.
void forgetChangesBefore(pg::Connection& c, std::uint64_t version);

// Brings `snapshot` to the database's current version: the missed changes applied in
// order when the change rows are all there, otherwise everything loaded anew.
void catchUp(pg::Connection& c, RegistrySnapshot& snapshot);
}  // namespace pg_registry

}  // namespace ketenpoort
