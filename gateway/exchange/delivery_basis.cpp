#include "gateway/exchange/delivery_basis.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"

namespace ketenpoort {

std::string basisWithdrawnReason(const std::string& which) { return "basis-withdrawn:" + which; }
std::string basisEndedDuringDeliveryReason(const std::string& which) {
  return "basis-ended-during-delivery:" + which;
}

std::optional<std::string> DeliveryBasis::withdrawn(const OutboxEntry& entry) const {
  const CivilDate today = clock_.today();
  if (!entry.consent_id.empty()) {
    const auto consent = registries_.consent(entry.consent_id);
    if (!consent || consent->statusOn(today) != "active") return "consent";
  }
  if (!entry.agreement_id.empty()) {
    const auto agreement = registries_.agreement(entry.agreement_id);
    if (!agreement || today < agreement->valid_from || agreement->valid_until < today) {
      return "agreement";
    }
  }
  if (!entry.koppeling_cbs.empty()) {
    if (registries_.gemeenteOfReference(entry.subject_ref, today) != entry.koppeling_cbs) {
      return "koppeling";
    }
  }
  return std::nullopt;
}

namespace {

// The record of what became of a queued entry, with the basis it was allowed on.
ExchangeRecord entryRecord(const MappingCatalogue& catalogue, const Clock& clock, const OutboxEntry& entry,
                           ExchangeOutcome outcome, std::string reason) {
  ExchangeRecord r = exchangeRecord(clock, entry.transaction_id, entry.trace_id, entry.flow, entry.sender_oin,
                                    entry.recipient_oin, entry.purpose);
  r.legal_basis = entry.legal_basis;
  r.consent_id = entry.consent_id;
  r.agreement_id = entry.agreement_id;
  r.subject_ref = entry.subject_ref;
  r.outcome = outcome;
  r.reason = std::move(reason);
  const FlowDefinition* flow = catalogue.findFlow(entry.flow);
  const CivilDate today = clock.today();
  r.retention_until = formatIsoDate(flow ? addPeriod(today, flow->retention) : today);
  return r;
}

}  // namespace

void DeliveryBasis::recordWithdrawal(const OutboxEntry& entry, const std::string& which,
                                     std::function<void(bool ok)> done) const {
  ExchangeRecord r = entryRecord(catalogue_, clock_, entry, ExchangeOutcome::kRefused, basisWithdrawnReason(which));
  logInfo("delivery-withdrawn", {{"transaction", entry.transaction_id}, {"flow", entry.flow},
                                 {"basis", which}});
  const std::string id = entry.transaction_id;
  const std::string reason = r.reason;
  log_.append(std::move(r),
              [id, reason](StoreTransaction& tx) { tx.withdrawDelivery(id, reason); },
              [done = std::move(done)](const AppendResult& result) { done(result.ok); });
}

void DeliveryBasis::recordEndedDuringDelivery(const OutboxEntry& entry, const std::string& which) const {
  ExchangeRecord r =
      entryRecord(catalogue_, clock_, entry, ExchangeOutcome::kDelivered, basisEndedDuringDeliveryReason(which));
  logWarn("delivery-basis-ended-during-attempt", {{"transaction", entry.transaction_id}, {"flow", entry.flow},
                                                  {"basis", which}});
  const std::string id = entry.transaction_id;
  log_.append(std::move(r), [id](const AppendResult& result) {
    if (!result.ok) logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "basis-ended"}});
  });
}

}  // namespace ketenpoort
