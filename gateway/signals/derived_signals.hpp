#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

// The thresholds of the derived signals, as the chain uses them today (brief F4, F6, F7).
// Shares are in basis points (7500 = 75.00 %) and amounts in cents, so every comparison
// is exact: 74.99 % is below 75 %, never "about equal" as a floating-point share can be.
struct SignalThresholds {
  // ELIP (F4): at least this share of the DUO loan used ...
  std::int32_t elip_loan_basis_points = 7500;
  // ... and at most this many months left before the termijn ends, extensions included.
  // nullopt removes the time criterion ("Schrap het tijdscriterium", seed 003:2273).
  std::optional<std::int32_t> elip_months_left = 6;
  // Attendance (F6): below this share of planned lessons the klantmanager is alerted.
  std::int32_t attendance_norm_basis_points = 8000;
  // Toeslagen (F7): not granted this many days after BRP registration → bridging needed.
  std::int32_t bridging_after_days = 42;
  bool operator==(const SignalThresholds&) const = default;
};

struct TermijnExtension {
  std::int32_t months = 0;
  std::string reason;  // e.g. "alfabetisering", "covid"
};

// What DUO knows about one person's obligation, as far as the ELIP criteria need it.
struct ElipInput {
  bool obligation_met = false;  // ingeburgerd, vrijgesteld, or an ontheffing granted
  std::int64_t loan_max_cents = 0;
  std::int64_t loan_used_cents = 0;
  CivilDate termijn_end;
  std::vector<TermijnExtension> extensions;
};

struct ElipAssessment {
  bool candidate = false;
  std::int32_t loan_basis_points = 0;  // share of the loan used, rounded down
  CivilDate deadline;                  // termijn end with every extension added
  std::int32_t months_left = 0;        // whole months from the day of assessment; 0 when passed
};

// A plain decimal with at most two decimals ("8200", "79.5", "74.99") in hundredths: euro
// as cents, a percentage as basis points. nullopt for anything else (a sign, an exponent,
// more than two decimals, more than nine whole digits).
std::optional<std::int64_t> parseHundredths(std::string_view text);
inline std::optional<std::int64_t> parseEuroCents(std::string_view text) { return parseHundredths(text); }

// Hundredths as a decimal with exactly two decimals: 7750 → "77.50".
std::string formatHundredths(std::int64_t hundredths);

// An ELIP candidate: obligation not met, loan share at or above the threshold, and (unless
// the time criterion is removed) the deadline no later than the day `months_left` months
// from `on`: exactly six months left counts, one day more does not.
ElipAssessment assessElip(const ElipInput& input, const CivilDate& on, const SignalThresholds& thresholds);

struct AttendanceAssessment {
  // attended / planned, rounded down; nullopt when no lessons were planned (there is no
  // share to speak of, and so no norm to fall under).
  std::optional<std::int32_t> basis_points;
  bool under_norm = false;
};
// Throws std::invalid_argument when the counts are negative or attended > planned.
AttendanceAssessment assessAttendance(std::int32_t lessons_planned, std::int32_t lessons_attended,
                                      const SignalThresholds& thresholds);

// Bridging (overbrugging) is needed on `on` when the toeslag was not granted within
// `bridging_after_days` days of the BRP registration and that period has passed: a grant
// on day 42 is in time, one on day 43 (or none by then) is not.
bool bridgingNeeded(const CivilDate& brp_registration, const std::optional<CivilDate>& granted_on, const CivilDate& on,
                    const SignalThresholds& thresholds);

}  // namespace ketenpoort
