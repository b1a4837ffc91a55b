#include "gateway/store/sql_store_transaction.hpp"

#include "gateway/calendar/civil_date.hpp"
#include "gateway/store/registry_tables.hpp"
#include "gateway/store/sql_outbox.hpp"

namespace ketenpoort {

void RegistryChanges::add(RegistryChanges& item) {
  if (item.raises == 0) return;
  version = item.version;
  raises += item.raises;
  for (auto& change : item.changes) changes.push_back(std::move(change));
  item.clear();
}

ChangeVerdict SqlStoreTransaction::recordKoppeling(const KoppelingEntry& k) {
  if (ChangeVerdict declined = registry_tables::recordKoppeling(session_, k)) return declined;
  changed(RegistrySnapshot::koppelingRecorded(k), registry_tables::encodeKoppeling(k));
  return kApplied;
}

void SqlStoreTransaction::insertConsent(const ConsentEntry& consent) {
  registry_tables::insertConsent(session_, consent);
  changed(RegistrySnapshot::consentInserted(consent), registry_tables::encodeConsentInserted(consent));
}

void SqlStoreTransaction::withdrawConsent(const std::string& id, const CivilDate& date) {
  registry_tables::withdrawConsent(session_, id, date);
  changed(RegistrySnapshot::consentWithdrawn(id, date), registry_tables::encodeConsentWithdrawn(id, date));
}

void SqlStoreTransaction::upsertAgreement(const AgreementEntry& a) {
  registry_tables::upsertAgreement(session_, a);
  changed(RegistrySnapshot::agreementUpserted(a), registry_tables::encodeAgreement(a));
}

void SqlStoreTransaction::linkIdentities(const IdentityLinkEntry& l) {
  registry_tables::linkIdentities(session_, l, clock_.nowRfc3339());
  changed(RegistrySnapshot::identitiesLinked(l), registry_tables::encodeIdentityLink(l));
}

RegistryHistoryRemoved SqlStoreTransaction::removeRegistryHistory(const CivilDate& ended_before) {
  const RegistryHistoryRemoved removed = registry_tables::removeHistory(session_, ended_before);
  changed(RegistrySnapshot::historyRemoved(ended_before), registry_tables::encodeHistoryRemoved(ended_before));
  registry_tables::forgetChangesBefore(session_, changes_.version);
  return removed;
}

void SqlStoreTransaction::withdrawDelivery(const std::string& transaction_id, Reason reason) {
  outbox_tables::withdraw(session_, transaction_id, reason, clock_.nowRfc3339());
}

void SqlStoreTransaction::changed(RegistrySnapshot::Change change, const std::string& encoded) {
  changes_.version = registry_tables::raiseVersion(session_);
  registry_tables::recordChange(session_, changes_.version, encoded);
  ++changes_.raises;
  changes_.changes.push_back(std::move(change));
}

}  // namespace ketenpoort
