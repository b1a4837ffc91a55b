#include "gateway/store/exchange_log.hpp"

#include <chrono>
#include <future>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/mapping/flow_definition.hpp"

namespace ketenpoort {

void ExchangeLog::append(ExchangeRecord record, Callback done) {
  append(std::move(record), StoreChange{}, std::move(done));
}

AppendResult ExchangeLog::appendAndWait(ExchangeRecord record, StoreChange change) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  append(std::move(record), std::move(change), [&promise](const AppendResult& r) { promise.set_value(r); });
  return future.get();
}

}  // namespace ketenpoort

namespace ketenpoort {

PurgeBatchResult ExchangeLog::awaitPurgeWrite(const std::function<void(Callback)>& submit,
                                              const std::shared_ptr<PurgeBatchResult>& planned, std::uint64_t after) {
  std::promise<AppendResult> written;
  auto future = written.get_future();
  submit([&written](const AppendResult& r) { written.set_value(r); });
  const AppendResult outcome = future.get();
  if (!outcome.ok) {
    PurgeBatchResult refused;
    refused.next_after = after;
    refused.error = outcome.error;
    return refused;
  }
  planned->ok = true;
  return *planned;
}

PurgeBatchResult purgeExpired(ExchangeLog& log, PurgeBatchRequest request, const std::function<bool()>& stopping) {
  PurgeBatchResult total;
  for (;;) {
    if (stopping && stopping()) {
      total.ok = true;
      return total;  // not done: the next purge goes on from here
    }
    // Paced by the system's time: the pause gives the disk to pushes for as long as the
    // window took it.
    const auto started = systemTime().monotonicNow();
    const PurgeBatchResult batch = log.purgeBatch(request);
    const auto took = systemTime().monotonicNow() - started;
    if (!batch.ok) {
      total.error = batch.error;
      total.next_after = request.after_sequence;
      return total;
    }
    total.removed += batch.removed;
    total.next_after = batch.next_after;
    request.after_sequence = batch.next_after;
    if (batch.done) break;
    if (batch.removed > 0) systemTime().pause(took);
  }
  total.ok = true;
  total.done = true;
  return total;
}

bool ExchangeLog::fileUnderPeriod(ExchangeRecord& record, const Callback& done, const TimeSource& clock) const {
  if (!parseIsoDate(record.retention_until)) {
    // A record that names no retention (a refusal decided before any flow's rules applied)
    // is kept as long as the longest flow keeps its records, never for ever.
    const CivilDate made = parseIsoDate(std::string_view(record.time_utc).substr(0, 10)).value_or(clock.today());
    record.retention_until = formatIsoDate(addPeriod(made, kRegistryHistoryRetention));
  }
  if (pseudonyms_ == nullptr || record.subject_ref.empty() || record.subject_ref_filed) return true;
  try {
    record.subject_ref = pseudonyms_->recordReference(record.subject_ref, record.retention_until,
                                                      std::string_view(record.time_utc).substr(0, 10));
    return true;
  } catch (const std::exception& e) {
    done(AppendResult::failed(std::string("no pseudonym key for the record: ") + e.what()));
    return false;
  }
}

std::vector<std::string> ExchangeLog::referencesOf(const std::string& subject_ref) const {
  if (pseudonyms_ == nullptr) return {subject_ref};
  return pseudonyms_->referencesOf(subject_ref);
}

}  // namespace ketenpoort
