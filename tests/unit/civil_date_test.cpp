#include <gtest/gtest.h>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {
namespace {

TEST(CivilDate, ParsesRealDatesOnly) {
  ASSERT_TRUE(parseIsoDate("2024-02-29"));
  EXPECT_EQ(formatIsoDate(*parseIsoDate("2024-02-29")), "2024-02-29");
  EXPECT_FALSE(parseIsoDate("2023-02-29"));
  EXPECT_FALSE(parseIsoDate("2023-13-01"));
  EXPECT_FALSE(parseIsoDate("2023-1-01"));
  EXPECT_FALSE(parseIsoDate("20230101"));
  EXPECT_FALSE(parseIsoDate("2023-01-0x"));
}

TEST(CivilDate, PeriodsParseInOrder) {
  const auto p = parseIsoPeriod("P1Y6M10D");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->years, 1);
  EXPECT_EQ(p->months, 6);
  EXPECT_EQ(p->days, 10);
  EXPECT_FALSE(parseIsoPeriod("P6M1Y"));
  EXPECT_FALSE(parseIsoPeriod("P"));
  EXPECT_FALSE(parseIsoPeriod("7Y"));
  EXPECT_FALSE(parseIsoPeriod("P7W"));
}

TEST(CivilDate, AddingAMonthToTheLastDayStaysInTheMonth) {
  EXPECT_EQ(formatIsoDate(addPeriod(*parseIsoDate("2025-01-31"), {0, 1, 0})), "2025-02-28");
  EXPECT_EQ(formatIsoDate(addPeriod(*parseIsoDate("2024-02-29"), {5, 0, 0})), "2029-02-28");
  EXPECT_EQ(formatIsoDate(addPeriod(*parseIsoDate("2025-12-20"), {0, 0, 42})), "2026-01-31");
}

// What the store writes as created_utc reads back to the same millisecond; nothing else
// (another shape, an impossible date or time) is taken.
TEST(Rfc3339, ReadsBackWhatItWritesAndNothingElse) {
  const auto moment = std::chrono::sys_days(std::chrono::year(2026) / 12 / 7) + std::chrono::hours(16) +
                      std::chrono::minutes(5) + std::chrono::seconds(9) + std::chrono::milliseconds(42);
  const std::string text = formatRfc3339(moment);
  EXPECT_EQ(text, "2026-12-07T16:05:09.042Z");
  EXPECT_EQ(parseRfc3339(text), moment);
  for (const char* wrong : {"", "2026-12-07T16:05:09Z", "2026-12-07 16:05:09.042Z", "2026-02-30T16:05:09.042Z",
                            "2026-12-07T24:05:09.042Z", "2026-12-07T16:60:09.042Z", "2026-12-07T16:05:09.042+01:00",
                            "2026-12-07T16:05:0x.042Z", "2026-12-07T16:05:09.042Z "}) {
    EXPECT_EQ(parseRfc3339(wrong), std::nullopt) << wrong;
  }
}

}  // namespace
}  // namespace ketenpoort
