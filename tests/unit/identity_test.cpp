#include <gtest/gtest.h>

#include "gateway/identity/bsn.hpp"
#include "gateway/identity/oin.hpp"

namespace ketenpoort {
namespace {

TEST(Oin, AcceptsExactlyTwentyDigits) {
  ASSERT_TRUE(Oin::parse("00000001002564440000"));
  EXPECT_EQ(Oin::parse("00000001002564440000")->str(), "00000001002564440000");
  EXPECT_FALSE(Oin::parse("0000000100256444000"));    // 19
  EXPECT_FALSE(Oin::parse("000000010025644400000"));  // 21
  EXPECT_FALSE(Oin::parse("0000000100256444000A"));
  EXPECT_FALSE(Oin::parse(""));
  EXPECT_FALSE(Oin::parse(" 0000000100256444000"));
}

TEST(Oin, TestPrefixMarksTestOins) {
  EXPECT_TRUE(Oin::parse("00000099200000000363")->isTest());
  EXPECT_FALSE(Oin::parse("00000001002564440000")->isTest());
  EXPECT_FALSE(Oin::parse("00000009900000000000")->isTest());
}

TEST(Bsn, ElfproefAcceptsValidNumbers) {
  // 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-1*4 = 55 = 5*11
  EXPECT_TRUE(isValidBsn("111222333"));
  EXPECT_TRUE(isValidBsn("123456782"));
}

TEST(Bsn, ElfproefRefusesInvalidNumbers) {
  EXPECT_FALSE(isValidBsn("111222334"));
  EXPECT_FALSE(isValidBsn("123456789"));
  EXPECT_FALSE(isValidBsn("000000000"));  // sum 0 is not a BSN
  EXPECT_FALSE(isValidBsn("11122233"));
  EXPECT_FALSE(isValidBsn("1112223330"));
  EXPECT_FALSE(isValidBsn("11122233x"));
}

TEST(Bsn, MaskingHidesValidBsnsOnly) {
  EXPECT_EQ(maskBsns("bsn 111222333 end"), "bsn ********* end");
  EXPECT_EQ(maskBsns("111222333,123456782"), "*********,*********");
  EXPECT_EQ(maskBsns("not a bsn 123456789"), "not a bsn 123456789");
  // Nine digits inside a longer number (an OIN) are not a BSN of their own.
  EXPECT_EQ(maskBsns("00000099111222333000"), "00000099111222333000");
}

}  // namespace
}  // namespace ketenpoort
