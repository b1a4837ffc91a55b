#include "gateway/exchange/delivery_basis.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"

namespace ketenpoort {

std::optional<Reason> DeliveryBasis::withdrawn(const OutboxEntry& entry) const {
  const CivilDate today = clock_.today();
  if (!entry.consent_id.empty()) {
    const auto consent = registries_.consent(entry.consent_id);
    if (!consent || consent->statusOn(today) != ConsentStatus::kActive) return Reason::kBasisWithdrawnConsent;
  }
  if (!entry.agreement_id.empty()) {
    const auto agreement = registries_.agreement(entry.agreement_id);
    if (!agreement || today < agreement->valid_from || agreement->valid_until < today) {
      return Reason::kBasisWithdrawnAgreement;
    }
  }
  if (!entry.koppeling_cbs.empty()) {
    if (registries_.gemeenteOfReference(entry.subject_ref, today) != entry.koppeling_cbs) {
      return Reason::kBasisWithdrawnKoppeling;
    }
  }
  return std::nullopt;
}

namespace {

// The record of what became of a queued entry, with the basis it was allowed on.
ExchangeRecord entryRecord(const MappingCatalogue& catalogue, const TimeSource& clock, const OutboxEntry& entry,
                           ExchangeOutcome outcome, Reason reason) {
  ExchangeRecord r = exchangeRecord(clock, entry.transaction_id, entry.trace_id, entry.flow, entry.sender_oin,
                                    entry.recipient_oin, entry.purpose);
  r.legal_basis = entry.legal_basis;
  r.consent_id = entry.consent_id;
  r.agreement_id = entry.agreement_id;
  r.subject_ref = entry.subject_ref;
  r.outcome = outcome;
  r.reason = reasonName(reason);
  const FlowDefinition* flow = catalogue.findFlow(entry.flow);
  const CivilDate today = clock.today();
  r.retention_until = formatIsoDate(flow ? addPeriod(today, flow->retention) : today);
  return r;
}

}  // namespace

void DeliveryBasis::recordWithdrawal(const OutboxEntry& entry, Reason withdrawn,
                                     std::function<void(bool ok)> done) const {
  ExchangeRecord r = entryRecord(catalogue_, clock_, entry, ExchangeOutcome::kRefused, withdrawn);
  logInfo("delivery-withdrawn",
          {{"transaction", entry.transaction_id}, {"flow", entry.flow}, {"reason", reasonName(withdrawn)}});
  const std::string id = entry.transaction_id;
  log_.append(
      std::move(r), [id, withdrawn](StoreTransaction& tx) { tx.withdrawDelivery(id, withdrawn); },
      [done = std::move(done)](const AppendResult& result) { done(result.ok); });
}

void DeliveryBasis::recordEndedDuringDelivery(const OutboxEntry& entry, Reason withdrawn) const {
  const Reason ended = withdrawn == Reason::kBasisWithdrawnConsent     ? Reason::kBasisEndedDuringDeliveryConsent
                       : withdrawn == Reason::kBasisWithdrawnAgreement ? Reason::kBasisEndedDuringDeliveryAgreement
                                                                       : Reason::kBasisEndedDuringDeliveryKoppeling;
  ExchangeRecord r = entryRecord(catalogue_, clock_, entry, ExchangeOutcome::kDelivered, ended);
  logWarn("delivery-basis-ended-during-attempt",
          {{"transaction", entry.transaction_id}, {"flow", entry.flow}, {"reason", reasonName(ended)}});
  const std::string id = entry.transaction_id;
  log_.append(std::move(r), [id](const AppendResult& result) {
    if (!result.ok) logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "basis-ended"}});
  });
}

}  // namespace ketenpoort
