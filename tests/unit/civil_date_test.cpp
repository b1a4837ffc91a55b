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

}  // namespace
}  // namespace ketenpoort
