#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "gateway/calendar/time_source.hpp"
#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/gateway_store/gateway_store.hpp"

namespace ketenpoort {

// The purge of records past their retention, once a day at a set time (UTC) inside
// `serve` (ADR 0018), with the registries' history and the pseudonym keys after them
// (GatewayStore::purgeExpired, ADR 0020). A thread of its own, paced by a BatchQueue
// timeout; the purge itself is windows written by the log's writer among its group
// commits, so pushes go on. A purge that stops (a record that does not verify, the
// database away) is logged and tried again the next day; `ketenpoort log purge` runs the
// same by hand.
class ScheduledPurge {
 public:
  // `at`: minutes after midnight UTC. `poll`: how often the thread looks at the clock
  // (tests move a SimulatedTime and poll often).
  ScheduledPurge(GatewayStore& store, const TimeSource& clock, std::chrono::minutes at,
                 std::chrono::milliseconds poll = std::chrono::seconds(1));
  ~ScheduledPurge();
  ScheduledPurge(const ScheduledPurge&) = delete;
  ScheduledPurge& operator=(const ScheduledPurge&) = delete;

  // `metrics`, when given, counts every run by outcome (done, interrupted, stopped) and
  // keeps the time of the last complete one; it must outlive stop().
  void start(GatewayMetrics* metrics = nullptr);
  void stop();
  // How often it has looked at the clock since start (each `poll` of the clock's time):
  // what a test waits for after it moved a simulated clock.
  std::uint64_t looks() const { return looks_.load(); }

  // The first moment, at or after `from`, that is a purge time.
  static std::chrono::system_clock::time_point nextRun(std::chrono::system_clock::time_point from,
                                                       std::chrono::minutes at);

 private:
  void run();

  GatewayStore& store_;
  const TimeSource& clock_;
  std::chrono::minutes at_;
  std::chrono::milliseconds poll_;
  BatchQueue<int> wake_{1};            // closed by stop(); its timeout paces the looks at the clock
  std::atomic<bool> stopping_{false};  // ends a purge under way after its current window
  std::atomic<std::uint64_t> looks_{0};
  GatewayMetrics* metrics_ = nullptr;
  std::thread thread_;
};

}  // namespace ketenpoort
