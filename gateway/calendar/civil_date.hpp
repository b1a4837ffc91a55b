#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

using CivilDate = std::chrono::year_month_day;

// "YYYY-MM-DD", a real calendar date; anything else is nullopt.
std::optional<CivilDate> parseIsoDate(std::string_view text);
std::string formatIsoDate(const CivilDate& date);
// A date or moment for people, in Dutch: "2026-11-22" → "22 november 2026",
// "2026-11-22T15:04:05.123Z" → "22 november 2026, 15:04 uur (UTC)"; anything else as it is.
std::string dutchDateTime(std::string_view text);
// The system's day (systemTime().today()), for the command line and tools; what the
// gateway decides or stamps takes the TimeSource it was handed.
CivilDate todayUtc();
// As RFC 3339 UTC with milliseconds: 2026-11-22T15:04:05.123Z.
std::string formatRfc3339(std::chrono::system_clock::time_point time);
// Reads back exactly what formatRfc3339 writes; anything else is nullopt.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// A retention or validity period: whole years, months and days (ISO 8601 "P7Y", "P6M").
struct CalendarPeriod {
  int years = 0;
  int months = 0;
  int days = 0;
};
std::optional<CalendarPeriod> parseIsoPeriod(std::string_view text);
// Adds the period; a day that does not exist in the target month moves to its last day.
CivilDate addPeriod(const CivilDate& date, const CalendarPeriod& period);

}  // namespace ketenpoort
