#include "gateway/gateway_store/scheduled_purge.hpp"

#include <vector>

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

ScheduledPurge::ScheduledPurge(GatewayStore& store, const TimeSource& clock, std::chrono::minutes at,
                               std::chrono::milliseconds poll)
    : store_(store), clock_(clock), at_(at), poll_(poll) {}

ScheduledPurge::~ScheduledPurge() { stop(); }

void ScheduledPurge::start(GatewayMetrics* metrics) {
  if (thread_.joinable()) return;
  metrics_ = metrics;
  if (metrics_ != nullptr) {
    for (const char* outcome : {"done", "interrupted", "stopped"}) metrics_->purge_runs.inc({outcome}, 0);
  }
  thread_ = std::thread([this] { run(); });
}

void ScheduledPurge::stop() {
  stopping_ = true;
  wake_.close();
  if (thread_.joinable()) thread_.join();
}

std::chrono::system_clock::time_point ScheduledPurge::nextRun(std::chrono::system_clock::time_point from,
                                                              std::chrono::minutes at) {
  const auto midnight = std::chrono::floor<std::chrono::days>(from);
  const auto today = midnight + at;
  return today >= from ? today : today + std::chrono::days(1);
}

void ScheduledPurge::run() {
  auto next = nextRun(clock_.now(), at_);
  std::vector<int> nothing;
  while (wake_.popBatch(nothing, 1, poll_, clock_)) {
    const auto now = clock_.now();
    if (now < next) {
      ++looks_;
      continue;
    }
    next = nextRun(now + std::chrono::minutes(1), at_);
    PurgeBatchRequest request;
    request.as_of = formatIsoDate(CivilDate(std::chrono::floor<std::chrono::days>(now)));
    const auto started = clock_.monotonicNow();
    const PurgeBatchResult purged = store_.purgeExpired(request, [this] { return stopping_.load(); });
    const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonicNow() - started).count();
    if (metrics_ != nullptr) {
      metrics_->purge_runs.inc({!purged.ok ? "stopped" : purged.done ? "done" : "interrupted"});
      if (purged.ok && purged.done) {
        metrics_->purge_last_completed.set(
            {}, std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
      }
    }
    if (purged.ok) {
      boost::json::array destroyed;
      for (int period : purged.pseudonym_keys_destroyed) destroyed.push_back(period);
      logInfo(purged.done ? "log-purged" : "log-purge-interrupted",
              {{"as_of", request.as_of},
               {"removed", purged.removed},
               {"registry_koppelingen_removed", purged.registry_history_removed.koppelingen},
               {"registry_consents_removed", purged.registry_history_removed.consents},
               {"pseudonym_keys_destroyed", std::move(destroyed)},
               {"took_ms", took_ms}});
    } else {
      // The error names a record number and what is wrong with it, never its contents.
      logError("log-purge-stopped", {{"as_of", request.as_of},
                                     {"removed", purged.removed},
                                     {"stopped_after", purged.next_after},
                                     {"error", purged.error}});
    }
  }
}

}  // namespace ketenpoort
