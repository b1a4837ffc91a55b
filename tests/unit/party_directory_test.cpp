#include <gtest/gtest.h>

#include "gateway/api/party_directory.hpp"

namespace ketenpoort {
namespace {

GatewayConfig configWith(GatewayMode mode, std::vector<std::pair<std::string, std::string>> parties) {
  GatewayConfig config;
  config.mode = mode;
  for (auto& [id, oin] : parties) {
    config.parties.push_back(Party{id, *Oin::parse(oin), id, PartyRole::kCoa, {}, {}, {}, {}});
  }
  return config;
}

const Problem* problemOf(const Result<const Party*>& v) { return v.ok() ? nullptr : &v.problem(); }

TEST(PartyDirectory, IdentifiesAConfiguredOin) {
  const auto config = configWith(GatewayMode::kProduction, {{"coa", "00000001003214345000"}});
  PartyDirectory directory(config);
  const auto result = directory.identify(std::string("00000001003214345000"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)->id, "coa");
}

TEST(PartyDirectory, UnknownOinIsUnknownParty) {
  const auto config = configWith(GatewayMode::kProduction, {{"coa", "00000001003214345000"}});
  PartyDirectory directory(config);
  const auto result = directory.identify(std::string("00000001003214345999"));
  const auto* problem = problemOf(result);
  ASSERT_NE(problem, nullptr);
  EXPECT_EQ(problem->status(), 403u);
  EXPECT_EQ(problem->name(), "unknown-party");
}

TEST(PartyDirectory, TestOinInProductionIsRefusedEvenBeforeLookup) {
  const auto config = configWith(GatewayMode::kProduction, {});
  PartyDirectory directory(config);
  const auto result = directory.identify(std::string("00000099100000000001"));
  const auto* problem = problemOf(result);
  ASSERT_NE(problem, nullptr);
  EXPECT_EQ(problem->name(), "test-party-refused");
}

TEST(PartyDirectory, TestOinInTestModeIsIdentified) {
  const auto config = configWith(GatewayMode::kTest, {{"coa", "00000099100000000001"}});
  PartyDirectory directory(config);
  EXPECT_TRUE(directory.identify(std::string("00000099100000000001")).ok());
}

TEST(PartyDirectory, MissingOrMalformedSerialNumberIsAnInvalidCertificate) {
  const auto config = configWith(GatewayMode::kTest, {{"coa", "00000099100000000001"}});
  PartyDirectory directory(config);
  const auto no_serial = directory.identify(std::nullopt);
  ASSERT_NE(problemOf(no_serial), nullptr);
  EXPECT_EQ(problemOf(no_serial)->name(), "invalid-client-certificate");
  const auto not_an_oin = directory.identify(std::string("NL-12345"));
  ASSERT_NE(problemOf(not_an_oin), nullptr);
  EXPECT_EQ(problemOf(not_an_oin)->code, Reason::kInvalidClientCertificate);
}

}  // namespace
}  // namespace ketenpoort
