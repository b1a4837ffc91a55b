#pragma once

// Filling an exchange log quickly, for the tests and benchmarks that need many records.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort::testing {

// A delivered klantprofiel record about `subject_ref` (a keyed reference, never a BSN),
// the i-th of a series: its fields and payload hash differ with i.
inline ExchangeRecord sampleRecord(int i, const std::string& subject_ref) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = systemTime().nowRfc3339();
  r.flow = "coa.klantprofiel";
  r.sender_oin = "00000099100000000001";
  r.recipient_oin = "00000099200000000363";
  r.purpose = "regie-inburgering";
  r.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
  r.subject_ref = subject_ref;
  r.fields_delivered = {"persoon.bsn", "persoon.voornamen", "gezin.leden[" + std::to_string(i) + "].relatie"};
  r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}};
  r.outcome = ExchangeOutcome::kDelivered;
  r.payload_sha256 = sha256Hex("payload " + std::to_string(i));
  r.retention_until = "2030-11-22";
  return r;
}

// Appends the records from the calling thread without waiting for each; the writer commits
// whatever has queued up (group commit). Returns when all are durable.
inline void appendAll(ExchangeLog& log, std::vector<ExchangeRecord> records) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t remaining = records.size();
  std::atomic<std::size_t> failures{0};
  for (auto& record : records) {
    log.append(std::move(record), [&](const AppendResult& r) {
      if (!r.ok) ++failures;
      std::lock_guard lock(mutex);
      if (--remaining == 0) done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return remaining == 0; });
  if (failures > 0) throw std::runtime_error("appends failed");
}

}  // namespace ketenpoort::testing
