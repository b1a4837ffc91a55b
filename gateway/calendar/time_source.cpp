#include "gateway/calendar/time_source.hpp"

namespace ketenpoort {

namespace {
class SystemTime final : public TimeSource {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point monotonicNow() const override { return std::chrono::steady_clock::now(); }
};
}  // namespace

CivilDate TimeSource::today() const { return CivilDate(std::chrono::floor<std::chrono::days>(now())); }

std::string TimeSource::nowRfc3339() const { return formatRfc3339(now()); }

std::int64_t TimeSource::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
}

CivilDate todayUtc() { return systemTime().today(); }

// Never destroyed: threads that outlive static destruction (the diagnostic log's writer,
// started on first use, joins in its own static destructor) still wait on it.
const TimeSource& systemTime() {
  static const auto* const kClock = new SystemTime();
  return *kClock;
}

}  // namespace ketenpoort
