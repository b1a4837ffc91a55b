#include "gateway/store/registry_store.hpp"

#include <array>
#include <memory>

#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/registry_tables.hpp"
#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {

namespace {

// A registry change as the exchange log records it: kept as long as the registries keep
// an ended row, so the record of a change lives at least as long as what it changed is
// needed to explain an exchange (ADR 0020).
ExchangeRecord changeRecord(const TimeSource& clock, std::string flow, Reason reason) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = clock.nowRfc3339();
  r.flow = std::move(flow);
  r.outcome = ExchangeOutcome::kDelivered;
  r.reason = reasonName(reason);
  r.retention_until = formatIsoDate(addPeriod(clock.today(), kRegistryHistoryRetention));
  return r;
}

RegistryStore::Change fromResult(const AppendResult& result, std::string id) {
  return {result.ok, std::move(id), result.error, result.sequence};
}

}  // namespace

RegistryStore::RegistryStore(const SubjectReferencer& referencer, ExchangeLog& log,
                             std::unique_ptr<sql::Session> listings, const TimeSource& clock)
    : SnapshotRegistries(referencer), log_(log), clock_(clock), listings_(std::move(listings)) {}

RegistryStore::~RegistryStore() = default;

std::optional<std::string> RegistryStore::gemeenteOfReference(const std::string& subject_ref,
                                                              const CivilDate& date) const {
  return current().gemeenteOfReference(subject_ref, date);
}

std::optional<ConsentEntry> RegistryStore::consent(const std::string& id) const { return current().consent(id); }

std::optional<AgreementEntry> RegistryStore::agreement(const std::string& id) const { return current().agreement(id); }

std::vector<ConsentEntry> RegistryStore::listConsentsByReference(const std::optional<std::string>& subject_ref) const {
  std::lock_guard lock(listings_mutex_);
  return registry_tables::listConsents(*listings_, subject_ref);
}

std::string_view toString(ConsentStatus status) {
  constexpr std::array<EnumName<ConsentStatus>, 4> kNames{{{ConsentStatus::kActive, "active"},
                                                           {ConsentStatus::kExpired, "expired"},
                                                           {ConsentStatus::kWithdrawn, "withdrawn"},
                                                           {ConsentStatus::kNotYetActive, "not-yet-active"}}};
  return nameIn(kNames, status);
}

ConsentStatus ConsentEntry::statusOn(const CivilDate& date) const {
  const std::string today = formatIsoDate(date);
  if (!withdrawn.empty() && withdrawn <= today) return ConsentStatus::kWithdrawn;
  if (!expires.empty() && expires <= today) return ConsentStatus::kExpired;
  if (granted > today) return ConsentStatus::kNotYetActive;
  return ConsentStatus::kActive;
}

RegistryStore::Change RegistryStore::grantConsent(const ConsentGrant& grant) {
  ConsentEntry consent;
  consent.id = "consent-" + newUuidV7();
  consent.subject_ref = referencer_.reference(grant.subject);
  consent.purpose_id = grant.purpose_id;
  consent.recipient_oin = grant.recipient.str();
  consent.evidence_ref = grant.evidence_ref;
  consent.granted = formatIsoDate(grant.granted);
  consent.expires = grant.expires ? formatIsoDate(*grant.expires) : std::string();
  ExchangeRecord record = changeRecord(clock_, std::string(internal_flows::kConsent), Reason::kConsentGranted);
  record.sender_oin = consent.recipient_oin;
  record.recipient_oin = consent.recipient_oin;
  record.purpose = consent.purpose_id;
  record.legal_basis = "AVG art. 6 lid 1 sub a en art. 7: toestemming vastgelegd";
  record.consent_id = consent.id;
  record.subject_ref = consent.subject_ref;
  const AppendResult result =
      log_.appendAndWait(std::move(record), [consent](StoreTransaction& tx) { tx.insertConsent(consent); });
  return fromResult(result, consent.id);
}

RegistryStore::Change RegistryStore::withdrawConsent(const std::string& consent_id, const CivilDate& date) {
  // The log record names whose consent and towards whom; read it first.
  const std::optional<ConsentEntry> existing = consent(consent_id);
  if (!existing) return {false, consent_id, "no consent with id " + consent_id, 0};
  ExchangeRecord record = changeRecord(clock_, std::string(internal_flows::kConsent), Reason::kConsentWithdrawn);
  record.consent_id = consent_id;
  record.subject_ref = existing->subject_ref;
  record.purpose = existing->purpose_id;
  record.recipient_oin = existing->recipient_oin;
  record.sender_oin = existing->recipient_oin;
  record.legal_basis = "AVG art. 7 lid 3: intrekking van toestemming";
  const AppendResult result = log_.appendAndWait(
      std::move(record), [consent_id, date](StoreTransaction& tx) { tx.withdrawConsent(consent_id, date); });
  return fromResult(result, consent_id);
}

RegistryStore::Change RegistryStore::upsertAgreement(const AgreementEntry& a) {
  if (agreement(a.id) == a) return {true, a.id, {}, 0};  // unchanged
  ExchangeRecord record = changeRecord(clock_, std::string(internal_flows::kAgreement), Reason::kAgreementRegistered);
  record.purpose = a.purpose_id;
  record.agreement_id = a.id;
  record.legal_basis = "AVG art. 28: verwerkersovereenkomst " + a.document_ref;
  const AppendResult result =
      log_.appendAndWait(std::move(record), [a](StoreTransaction& tx) { tx.upsertAgreement(a); });
  return fromResult(result, a.id);
}

RegistryStore::Change RegistryStore::endAgreement(const std::string& agreement_id, const CivilDate& ended_on,
                                                  const std::string& why) {
  std::optional<AgreementEntry> ended = agreement(agreement_id);
  if (!ended) return {false, agreement_id, "no agreement with id " + agreement_id, 0};
  const CivilDate last_day = addPeriod(ended_on, CalendarPeriod{0, 0, -1});
  if (ended->valid_until <= last_day) return {true, agreement_id, {}, 0};  // over already
  ended->valid_until = last_day;
  ExchangeRecord record = changeRecord(clock_, std::string(internal_flows::kAgreement), Reason::kAgreementEnded);
  record.purpose = ended->purpose_id;
  record.agreement_id = ended->id;
  record.legal_basis = "AVG art. 28: verwerkersovereenkomst " + ended->document_ref + " beëindigd per " +
                       formatIsoDate(ended_on) + " (" + why + ")";
  const AppendResult result =
      log_.appendAndWait(std::move(record), [a = *ended](StoreTransaction& tx) { tx.upsertAgreement(a); });
  return fromResult(result, agreement_id);
}

std::vector<AgreementEntry> RegistryStore::listAgreements() const { return current().agreements(); }

RegistryStore::Change RegistryStore::registerKoppeling(const SubjectKey& subject, const Oin& gemeente_oin,
                                                       const std::string& gemeente_cbs_code, CivilDate from,
                                                       const std::string& evidence_ref) {
  ExchangeRecord record = changeRecord(clock_, std::string(internal_flows::kKoppeling), Reason::kKoppelingRegistered);
  record.sender_oin = gemeente_oin.str();
  record.recipient_oin = gemeente_oin.str();
  record.purpose = "regie-inburgering";
  record.legal_basis = "koppeling (huisvestingstaakstelling), vastgelegd: " + evidence_ref;
  record.subject_ref = referencer_.reference(subject);
  const AppendResult result =
      log_.appendAndWait(record, koppelingChange(subject, gemeente_cbs_code, from, record.transaction_id));
  return fromResult(result, record.transaction_id);
}

RegistryStore::Change RegistryStore::purgeHistory(const CivilDate& as_of, RegistryHistoryRemoved& removed) {
  const CalendarPeriod back{-kRegistryHistoryRetention.years, -kRegistryHistoryRetention.months,
                            -kRegistryHistoryRetention.days};
  const CivilDate ended_before = addPeriod(as_of, back);
  removed = {};
  if (!current().holdsHistoryEndedBefore(ended_before)) return {true, "", {}, 0};
  ExchangeRecord record =
      changeRecord(clock_, std::string(internal_flows::kRegistryHistory), Reason::kRegistryHistoryPurged);
  record.purpose = "bewaartermijn";
  record.legal_basis = "AVG art. 5 lid 1 sub e: geëindigd voor " + formatIsoDate(ended_before) + ", bewaard " +
                       std::string(kRegistryHistoryRetentionText);
  auto counted = std::make_shared<RegistryHistoryRemoved>();
  const AppendResult result = log_.appendAndWait(std::move(record), [ended_before, counted](StoreTransaction& tx) {
    *counted = tx.removeRegistryHistory(ended_before);
  });
  if (result.ok) removed = *counted;
  return fromResult(result, "");
}

StoreChange RegistryStore::koppelingChange(const SubjectKey& subject, std::string gemeente_cbs_code, CivilDate from,
                                           std::string source_transaction_id) const {
  KoppelingEntry koppeling{referencer_.reference(subject), std::move(gemeente_cbs_code), from,
                           std::move(source_transaction_id)};
  return [koppeling](StoreTransaction& tx) { return tx.recordKoppeling(koppeling); };
}

StoreChange RegistryStore::identityLinkChange(const std::string& bsn, const std::string& vnummer,
                                              std::string source_transaction_id) const {
  IdentityLinkEntry link{referencer_.reference({SubjectKey::Kind::kBsn, bsn}),
                         referencer_.reference({SubjectKey::Kind::kVnummer, vnummer}),
                         std::move(source_transaction_id)};
  return [link](StoreTransaction& tx) { tx.linkIdentities(link); };
}

std::vector<ConsentEntry> RegistryStore::listConsents(const std::optional<SubjectKey>& subject) const {
  return listConsentsByReference(subject ? std::optional(referencer_.reference(*subject)) : std::nullopt);
}

}  // namespace ketenpoort
