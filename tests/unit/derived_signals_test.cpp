// The derived signals at their boundaries (issue 6, "Done when"): loan share, months left,
// extensions, attendance norm, and the six weeks before bridging is needed.
#include <gtest/gtest.h>

#include "gateway/signals/derived_signals.hpp"

namespace ketenpoort {
namespace {

CivilDate date(const char* iso) { return *parseIsoDate(iso); }

// Obligation not met, the full loan of EUR 10,000, the termijn ending on `end`.
ElipInput person(std::int64_t used_cents, const char* end) {
  ElipInput in;
  in.loan_max_cents = 1'000'000;
  in.loan_used_cents = used_cents;
  in.termijn_end = date(end);
  return in;
}

const SignalThresholds kDefaults{};

TEST(ElipSignal, LoanShareOf74Point9IsNotEnough75Is) {
  // Two months left, so only the loan decides.
  EXPECT_FALSE(assessElip(person(749'000, "2027-01-22"), date("2026-11-22"), kDefaults).candidate);
  EXPECT_TRUE(assessElip(person(750'000, "2027-01-22"), date("2026-11-22"), kDefaults).candidate);
  // Exactness: one cent under 75 % is under.
  EXPECT_FALSE(assessElip(person(749'999, "2027-01-22"), date("2026-11-22"), kDefaults).candidate);
  EXPECT_EQ(assessElip(person(749'000, "2027-01-22"), date("2026-11-22"), kDefaults).loan_basis_points, 7490);
}

TEST(ElipSignal, ExactlySixMonthsLeftCountsOneDayMoreDoesNot) {
  const CivilDate on = date("2026-05-22");
  const auto exactly = assessElip(person(800'000, "2026-11-22"), on, kDefaults);
  EXPECT_TRUE(exactly.candidate);
  EXPECT_EQ(exactly.months_left, 6);
  EXPECT_FALSE(assessElip(person(800'000, "2026-11-23"), on, kDefaults).candidate);  // one day more
  const auto less = assessElip(person(800'000, "2026-11-21"), on, kDefaults);        // one day less
  EXPECT_TRUE(less.candidate);
  EXPECT_EQ(less.months_left, 5);
}

TEST(ElipSignal, AnExtensionMovesTheDeadline) {
  ElipInput in = person(900'000, "2026-12-31");
  const CivilDate on = date("2026-09-01");
  EXPECT_TRUE(assessElip(in, on, kDefaults).candidate);
  in.extensions.push_back({6, "alfabetisering"});
  const auto extended = assessElip(in, on, kDefaults);
  EXPECT_EQ(extended.deadline, date("2027-06-30"));
  EXPECT_FALSE(extended.candidate);
  EXPECT_EQ(extended.months_left, 9);
  // A second extension moves it further; the end of a short month stays the end.
  in = person(900'000, "2026-08-31");
  in.extensions = {{3, "covid"}, {3, "covid"}};
  EXPECT_EQ(assessElip(in, on, kDefaults).deadline, date("2027-02-28"));
}

TEST(ElipSignal, TheTimeCriterionCanBeRemovedAndTheThresholdsMoved) {
  const ElipInput far = person(800'000, "2028-11-22");
  EXPECT_FALSE(assessElip(far, date("2026-11-22"), kDefaults).candidate);
  SignalThresholds without_time;
  without_time.elip_months_left = std::nullopt;
  EXPECT_TRUE(assessElip(far, date("2026-11-22"), without_time).candidate);
  SignalThresholds stricter;
  stricter.elip_loan_basis_points = 8500;
  stricter.elip_months_left = 3;
  EXPECT_FALSE(assessElip(person(800'000, "2027-01-22"), date("2026-11-22"), stricter).candidate);
  EXPECT_TRUE(assessElip(person(850'000, "2027-01-22"), date("2026-11-22"), stricter).candidate);
}

TEST(ElipSignal, NoSignalWhenTheObligationIsMetOrThereIsNoLoan) {
  ElipInput met = person(1'000'000, "2026-12-01");
  met.obligation_met = true;
  EXPECT_FALSE(assessElip(met, date("2026-11-22"), kDefaults).candidate);
  ElipInput no_loan = person(0, "2026-12-01");
  no_loan.loan_max_cents = 0;
  EXPECT_FALSE(assessElip(no_loan, date("2026-11-22"), kDefaults).candidate);
  // Past the deadline: no months left, still a candidate (the repair track is for them).
  const auto late = assessElip(person(800'000, "2026-10-01"), date("2026-11-22"), kDefaults);
  EXPECT_EQ(late.months_left, 0);
  EXPECT_TRUE(late.candidate);
}

TEST(AttendanceSignal, Under80PercentIsFlagged80IsNot) {
  const auto under = assessAttendance(1000, 799, kDefaults);  // 79.9 %
  EXPECT_TRUE(under.under_norm);
  EXPECT_EQ(under.basis_points, 7990);
  const auto at = assessAttendance(1000, 800, kDefaults);  // 80 %
  EXPECT_FALSE(at.under_norm);
  EXPECT_EQ(at.basis_points, 8000);
  // 3 of 4 lessons is 75 %: under; none planned: nothing to flag.
  EXPECT_TRUE(assessAttendance(4, 3, kDefaults).under_norm);
  EXPECT_FALSE(assessAttendance(0, 0, kDefaults).under_norm);
  SignalThresholds lower;
  lower.attendance_norm_basis_points = 7500;
  EXPECT_FALSE(assessAttendance(4, 3, lower).under_norm);
}

TEST(AttendanceSignal, NoLessonsPlannedHasNoPercentageRatherThanAHundred) {
  const auto none = assessAttendance(0, 0, kDefaults);
  EXPECT_FALSE(none.basis_points.has_value());
  EXPECT_FALSE(none.under_norm);
  EXPECT_EQ(assessAttendance(1, 1, kDefaults).basis_points, 10'000);
}

TEST(AttendanceSignal, ImpossibleCountsAreRejected) {
  EXPECT_THROW(assessAttendance(10, 11, kDefaults), std::invalid_argument);
  EXPECT_THROW(assessAttendance(-1, 0, kDefaults), std::invalid_argument);
}

TEST(BridgingSignal, GrantedOnDay42IsInTimeDay43IsNot) {
  const CivilDate brp = date("2026-09-01");
  const CivilDate day42 = date("2026-10-13");
  const CivilDate day43 = date("2026-10-14");
  EXPECT_FALSE(bridgingNeeded(brp, day42, day43, kDefaults));
  EXPECT_TRUE(bridgingNeeded(brp, day43, day43, kDefaults));
  // Not granted: nothing yet on day 42, bridging from day 43.
  EXPECT_FALSE(bridgingNeeded(brp, std::nullopt, day42, kDefaults));
  EXPECT_TRUE(bridgingNeeded(brp, std::nullopt, day43, kDefaults));
  SignalThresholds longer;
  longer.bridging_after_days = 56;
  EXPECT_FALSE(bridgingNeeded(brp, std::nullopt, day43, longer));
}

}  // namespace
}  // namespace ketenpoort
