#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

// What time it is, and how long to wait, for everything that decides, stamps or paces by
// the clock (issue 26; Envoy's TimeSource and simulated time system are the model): a
// retry's time, whether a consent or agreement holds today, a signal's deadlines, every
// record of the log's chain and every state of the outbox (one source stamps them all),
// the intervals a writer or poller paces itself by (monotonic), and the waits of those
// loops. The gateway runs on the system's; tests hand in a SimulatedTime and move time
// instead of waiting for it.
class TimeSource {
 public:
  using Monotonic = std::chrono::steady_clock::time_point;

  virtual ~TimeSource() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  // For intervals: never moves back, whatever the wall clock does.
  virtual Monotonic monotonicNow() const = 0;

  CivilDate today() const;         // in UTC
  std::string nowRfc3339() const;  // 2026-11-22T15:04:05.123Z
  std::int64_t nowMs() const;      // milliseconds since the epoch

  // The one wait of a thread loop: blocks until `ready()` holds (checked under `lock`;
  // whoever makes it true notifies `wake`) or this source's monotonic time reaches
  // `deadline`. Returns ready(). A simulated source's deadline passes when it is advanced.
  template <class Ready>
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, Monotonic deadline,
                 Ready ready) const {
    while (!ready()) {
      const auto left = deadline - monotonicNow();
      if (left <= Monotonic::duration::zero()) return false;
      wake.wait_for(lock, std::min<Monotonic::duration>(left, longestWait()));
    }
    return true;
  }
  // A pacing pause (room for others between rounds of work) on this source's time.
  void pause(Monotonic::duration interval) const {
    std::mutex alone;
    std::condition_variable never;
    std::unique_lock lock(alone);
    waitFor(lock, never, interval, [] { return false; });
  }
  template <class Ready>
  bool waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, Monotonic::duration interval,
               Ready ready) const {
    return waitUntil(lock, wake, monotonicNow() + interval, std::move(ready));
  }

 protected:
  // How long one real wait may last before the deadline is looked at again: unbounded
  // for time that runs by itself; short for a simulated source, whose time moves when a
  // test advances it (no notification reaches the waiter then).
  virtual Monotonic::duration longestWait() const { return std::chrono::hours(24); }
};

// The system's time.
const TimeSource& systemTime();

// A clock that stands still until told to move. Thread-safe.
class SimulatedTime final : public TimeSource {
 public:
  explicit SimulatedTime(std::chrono::system_clock::time_point start = std::chrono::system_clock::now())
      : ms_(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count()) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  // Moves with advance() only.
  std::chrono::steady_clock::time_point monotonicNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(advanced_ms_.load()));
  }
  void advance(std::chrono::milliseconds by) {
    ms_ += by.count();
    advanced_ms_ += by.count();
  }

 protected:
  // A waiter sees an advance within a millisecond.
  Monotonic::duration longestWait() const override { return std::chrono::milliseconds(1); }

 private:
  std::atomic<std::int64_t> ms_;
  std::atomic<std::int64_t> advanced_ms_{0};
};

// The system's clock moved forward by as much as it is told: time runs as usual (retries,
// timeouts) and a test can still jump days ahead (a consent ends, a termijn passes).
// Thread-safe.
class ShiftedTime final : public TimeSource {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(shift_ms_.load());
  }
  std::chrono::steady_clock::time_point monotonicNow() const override {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(shift_ms_.load());
  }
  void advance(std::chrono::milliseconds by) { shift_ms_ += by.count(); }

 private:
  std::atomic<std::int64_t> shift_ms_{0};
};

}  // namespace ketenpoort
