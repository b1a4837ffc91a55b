#include "gateway/calendar/civil_date.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace ketenpoort {
namespace {
bool readInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}
}  // namespace

std::optional<CivilDate> parseIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!readInt(text.substr(0, 4), y) || !readInt(text.substr(5, 2), m) || !readInt(text.substr(8, 2), d)) {
    return std::nullopt;
  }
  const CivilDate date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                       std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string formatIsoDate(const CivilDate& date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

std::string formatRfc3339(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buffer;
}

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text) {
  // 2026-11-22T15:04:05.123Z: a date, then digits and separators at fixed places.
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 10; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto date = parseIsoDate(text.substr(0, 10));
  const auto number = [&text](std::size_t at, std::size_t length) {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int hours = number(11, 2), minutes = number(14, 2), seconds = number(17, 2);
  if (!date || hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  return std::chrono::sys_days(*date) + std::chrono::hours(hours) + std::chrono::minutes(minutes) +
         std::chrono::seconds(seconds) + std::chrono::milliseconds(number(20, 3));
}

std::optional<CalendarPeriod> parseIsoPeriod(std::string_view text) {
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  CalendarPeriod period;
  std::size_t i = 1;
  char last_unit = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    int value = 0;
    if (j == i || j >= text.size() || !readInt(text.substr(i, j - i), value)) return std::nullopt;
    const char unit = text[j];
    // Units in order Y, M, D, each at most once.
    const auto rank = [](char u) { return u == 'Y' ? 1 : u == 'M' ? 2 : u == 'D' ? 3 : 0; };
    if (rank(unit) == 0 || rank(unit) <= rank(last_unit)) return std::nullopt;
    (unit == 'Y' ? period.years : unit == 'M' ? period.months : period.days) = value;
    last_unit = unit;
    i = j + 1;
  }
  return period;
}

CivilDate addPeriod(const CivilDate& date, const CalendarPeriod& period) {
  using namespace std::chrono;
  year_month_day shifted = date + years(period.years) + months(period.months);
  if (!shifted.ok()) shifted = shifted.year() / shifted.month() / last;
  return CivilDate(sys_days(shifted) + days(period.days));
}

std::string dutchDateTime(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths{"januari",   "februari", "maart",    "april",
                                                            "mei",       "juni",     "juli",     "augustus",
                                                            "september", "oktober",  "november", "december"};
  int year = 0;
  int month = 0;
  int day = 0;
  const auto number = [&text](std::size_t at, std::size_t length, int& out) {
    if (text.size() < at + length) return false;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc() && end == text.data() + at + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || month < 1 || month > 12) {
    return std::string(text);
  }
  std::string out = std::to_string(day) + " " + std::string(kMonths[static_cast<std::size_t>(month - 1)]) + " " +
                    std::to_string(year);
  if (text.size() >= 16 && text[10] == 'T') out += ", " + std::string(text.substr(11, 5)) + " uur (UTC)";
  return out;
}

}  // namespace ketenpoort
