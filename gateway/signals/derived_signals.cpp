#include "gateway/signals/derived_signals.hpp"

#include <algorithm>

#include <stdexcept>

namespace ketenpoort {

namespace {

CivilDate plusMonths(const CivilDate& date, std::int32_t months) {
  return addPeriod(date, CalendarPeriod{0, months, 0});
}

std::int32_t basisPoints(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0;
  return static_cast<std::int32_t>((part * 10'000) / whole);
}

}  // namespace

ElipAssessment assessElip(const ElipInput& input, const CivilDate& on, const SignalThresholds& thresholds) {
  ElipAssessment a;
  a.deadline = input.termijn_end;
  for (const auto& e : input.extensions) a.deadline = plusMonths(a.deadline, e.months);
  a.loan_basis_points = basisPoints(input.loan_used_cents, input.loan_max_cents);
  while (a.months_left < 1200 && plusMonths(on, a.months_left + 1) <= a.deadline) ++a.months_left;
  // Compared on the amounts, not on the rounded share: used/max ≥ bp/10000.
  const bool loan = input.loan_max_cents > 0 &&
                    input.loan_used_cents * 10'000 >=
                        static_cast<std::int64_t>(thresholds.elip_loan_basis_points) * input.loan_max_cents;
  const bool time = !thresholds.elip_months_left || a.deadline <= plusMonths(on, *thresholds.elip_months_left);
  a.candidate = !input.obligation_met && loan && time;
  return a;
}

AttendanceAssessment assessAttendance(std::int32_t lessons_planned, std::int32_t lessons_attended,
                                      const SignalThresholds& thresholds) {
  if (lessons_planned < 0 || lessons_attended < 0 || lessons_attended > lessons_planned) {
    throw std::invalid_argument("lessons attended must be between 0 and the lessons planned");
  }
  if (lessons_planned == 0) return {std::nullopt, false};
  const bool under = static_cast<std::int64_t>(lessons_attended) * 10'000 <
                     static_cast<std::int64_t>(thresholds.attendance_norm_basis_points) * lessons_planned;
  return {basisPoints(lessons_attended, lessons_planned), under};
}

bool bridgingNeeded(const CivilDate& brp_registration, const std::optional<CivilDate>& granted_on, const CivilDate& on,
                    const SignalThresholds& thresholds) {
  const CivilDate last_day_in_time = addPeriod(brp_registration, CalendarPeriod{0, 0, thresholds.bridging_after_days});
  if (on <= last_day_in_time) return false;
  return !granted_on || *granted_on > last_day_in_time;
}

std::optional<std::int64_t> parseHundredths(std::string_view text) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  const auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 9 || !digits(whole) || fraction.size() > 2 || !digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  std::int64_t cents = 0;
  for (char c : whole) cents = cents * 10 + (c - '0');
  cents *= 100;
  if (!fraction.empty()) cents += std::int64_t{fraction[0] - '0'} * 10;
  if (fraction.size() == 2) cents += fraction[1] - '0';
  return cents;
}

std::string formatHundredths(std::int64_t hundredths) {
  const std::int64_t rest = hundredths % 100;
  return std::to_string(hundredths / 100) + (rest < 10 ? ".0" : ".") + std::to_string(rest);
}

}  // namespace ketenpoort
