#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/policy/registries.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/sql_session.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

struct ConsentGrant {
  SubjectKey subject;
  std::string purpose_id;
  Oin recipient;
  std::string evidence_ref;  // where the signed consent is kept (document id, not the document)
  CivilDate granted;
  std::optional<CivilDate> expires;
};

// The registries the policy engine consults (koppeling, agreements, consent), kept in the
// gateway's store, the same way for every store. Decisions read the log writer's
// in-memory snapshot (ADR 0012: no query, no lock a writer holds); listings for the CLI
// and the audit API are queries on a session of their own. Every change is written
// together with its own exchange-log record, in one transaction, so a change that cannot
// be logged does not happen. A store says only how its snapshot is brought up to what
// others changed (current()).
class RegistryStore : public SnapshotRegistries {
 public:
  // `clock` stamps each change's record.
  RegistryStore(const SubjectReferencer& referencer, ExchangeLog& log, std::unique_ptr<sql::Session> listings,
                const TimeSource& clock);
  ~RegistryStore() override;

  struct Change {
    bool ok = false;
    std::string id;     // of the consent or agreement
    std::string error;  // when !ok
    std::uint64_t log_sequence = 0;
  };
  Change grantConsent(const ConsentGrant& grant);
  Change withdrawConsent(const std::string& consent_id, const CivilDate& date);
  // Inserts or updates an agreement (seeded from the config); unchanged ones are not
  // rewritten, so a restart does not log anything.
  Change upsertAgreement(const AgreementEntry& agreement);
  // Ends an agreement the configuration no longer holds: it is valid until the day before
  // `ended_on`, so no new exchange and no queued delivery rests on it from that day, and
  // the log records which agreement ended and when ("agreement-ended"). One that ended
  // before `ended_on` already is left as it is (nothing written).
  Change endAgreement(const std::string& agreement_id, const CivilDate& ended_on, const std::string& why);
  // Every agreement the registry holds, ended ones included, by id.
  std::vector<AgreementEntry> listAgreements() const;
  // Registers a koppeling that did not come with a klantprofiel (an old-law person, a
  // koppeling the gemeente confirms by hand), with its own log record naming the
  // gemeente's OIN and the document it rests on.
  Change registerKoppeling(const SubjectKey& subject, const Oin& gemeente_oin, const std::string& gemeente_cbs_code,
                           CivilDate from, const std::string& evidence_ref);
  // Removes the koppelingen and consents that ended more than kRegistryHistoryRetention
  // before `as_of`, as one change with its own log record (ADR 0020). `removed` says what.
  // Nothing ended that long ago: nothing written (ok).
  Change purgeHistory(const CivilDate& as_of, RegistryHistoryRemoved& removed);

  // The change that records a koppeling, to be written with the exchange that taught it.
  StoreChange koppelingChange(const SubjectKey& subject, std::string gemeente_cbs_code, CivilDate from,
                              std::string source_transaction_id) const;

  // The change that links a person's BSN and V-nummer, written with the exchange that
  // carried both.
  StoreChange identityLinkChange(const std::string& bsn, const std::string& vnummer,
                                 std::string source_transaction_id) const;

  // The gemeente a person is gekoppeld to, by the person's reference (as the log and the
  // outbox keep it); for checking a message's basis again when it leaves.
  std::optional<std::string> gemeenteOfReference(const std::string& subject_ref, const CivilDate& date) const;

  // Consents of one person (all when subject is nullopt).
  std::vector<ConsentEntry> listConsents(const std::optional<SubjectKey>& subject) const;
  std::vector<ConsentEntry> listConsentsByReference(const std::optional<std::string>& subject_ref) const;
  std::optional<ConsentEntry> consent(const std::string& id) const;
  std::optional<AgreementEntry> agreement(const std::string& id) const;

 private:
  ExchangeLog& log_;
  const TimeSource& clock_;
  mutable std::mutex listings_mutex_;
  std::unique_ptr<sql::Session> listings_;
};

}  // namespace ketenpoort
