#include "gateway/calendar/clock.hpp"

namespace ketenpoort {

namespace {
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point monotonicNow() const override { return std::chrono::steady_clock::now(); }
};
}  // namespace

CivilDate Clock::today() const { return CivilDate(std::chrono::floor<std::chrono::days>(now())); }

std::string Clock::nowRfc3339() const { return formatRfc3339(now()); }

std::int64_t Clock::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
}

const Clock& systemClock() {
  static const SystemClock kClock;
  return kClock;
}

}  // namespace ketenpoort
