#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

// What time it is, for everything that decides or stamps by the clock: a retry's time,
// whether a consent or agreement holds today, a signal's deadlines, every record of the
// log's chain and every state of the outbox (issue 26: one source stamps them all), and
// the intervals a writer paces itself by (monotonic). The gateway runs on the system
// clock; tests hand in a SimulatedClock and move time instead of waiting for it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  // For intervals: never moves back, whatever the wall clock does.
  virtual std::chrono::steady_clock::time_point monotonicNow() const = 0;

  CivilDate today() const;         // in UTC
  std::string nowRfc3339() const;  // 2026-11-22T15:04:05.123Z
  std::int64_t nowMs() const;      // milliseconds since the epoch
};

// The system's clock.
const Clock& systemClock();

// A clock that stands still until told to move. Thread-safe.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::now())
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

 private:
  std::atomic<std::int64_t> ms_;
  std::atomic<std::int64_t> advanced_ms_{0};
};

// The system's clock moved forward by as much as it is told: time runs as usual (retries,
// timeouts) and a test can still jump days ahead (a consent ends, a termijn passes).
// Thread-safe.
class ShiftedClock final : public Clock {
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
