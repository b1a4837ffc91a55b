// The wire formats of the chain's other systems, without a network: school JSON, the
// toeslagen status (and its bridging signal) and aanvraag XML, and the small exact helpers
// the derived flows rest on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/duo/duo_elip_source.hpp"
#include "adapters/taalschool/taalschool_json_format.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const SourceNode* child(const SourceNode& node, std::string_view name) {
  for (const SourceNode& c : node.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

FlowDefinition flowWithRoot(const std::string& id, const std::string& root) {
  FlowDefinition f;
  f.id = id;
  f.source_root = root;
  return f;
}

TEST(TaalschoolJsonFormat, ComputesPercentageAndNormFlagItselfReplacingTheSchools) {
  const TaalschoolJsonFormat format(SignalThresholds{});
  const auto flow = flowWithRoot("taalschool.aanwezigheid", "aanwezigheid");
  // 31 of 40 = 77.5 %: under 80 %, whatever the school claims.
  auto decoded = format.decode(flow, R"({"bsn":"1","lessen_gepland":40,"lessen_bijgewoond":31,
                                          "percentage":"99","onder_norm":false,
                                          "periode":{"start":"2026-09-01"}})");
  ASSERT_TRUE(std::holds_alternative<SourceNode>(decoded)) << std::get<std::string>(decoded);
  const SourceNode& root = std::get<SourceNode>(decoded);
  EXPECT_EQ(root.name, "aanwezigheid");
  EXPECT_EQ(child(root, "percentage")->text, "77.50");
  EXPECT_EQ(child(root, "onder_norm")->text, "true");
  EXPECT_EQ(child(*child(root, "periode"), "start")->text, "2026-09-01");
  // 32 of 40 = 80 %: at the norm, not under it.
  decoded = format.decode(flow, R"({"lessen_gepland":40,"lessen_bijgewoond":32})");
  EXPECT_EQ(child(std::get<SourceNode>(decoded), "onder_norm")->text, "false");
}

TEST(TaalschoolJsonFormat, NoLessonsPlannedGivesNoPercentageAndNoNormFlagNotEvenTheSchools) {
  const TaalschoolJsonFormat format(SignalThresholds{});
  const auto flow = flowWithRoot("taalschool.aanwezigheid", "aanwezigheid");
  const auto decoded =
      format.decode(flow, R"({"lessen_gepland":0,"lessen_bijgewoond":0,"percentage":"100","onder_norm":false})");
  ASSERT_TRUE(std::holds_alternative<SourceNode>(decoded)) << std::get<std::string>(decoded);
  EXPECT_EQ(child(std::get<SourceNode>(decoded), "percentage"), nullptr);
  EXPECT_EQ(child(std::get<SourceNode>(decoded), "onder_norm"), nullptr);
}

TEST(TaalschoolJsonFormat, RefusesWhatItCannotReadNamingTheProblemNotTheContent) {
  const TaalschoolJsonFormat format(SignalThresholds{});
  const auto flow = flowWithRoot("taalschool.aanwezigheid", "aanwezigheid");
  for (const char* body : {"", "[1,2]", "{\"bsn\": 123456782", "{\"lessen_gepland\":\"veel\"}",
                           "{\"lessen_gepland\":10,\"lessen_bijgewoond\":11}"}) {
    const auto decoded = format.decode(flow, body);
    ASSERT_TRUE(std::holds_alternative<std::string>(decoded)) << body;
    EXPECT_THAT(std::get<std::string>(decoded), Not(HasSubstr("123456782")));
  }
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{\"a\":";
  deep += "1" + std::string(40, '}');
  EXPECT_TRUE(std::holds_alternative<std::string>(sourceFromJson(deep, "x")));
}

TEST(TaalschoolJsonFormat, ArraysBecomeRepeatedChildrenAndBooleansText) {
  const auto decoded = sourceFromJson(R"({"soort":["huurtoeslag","zorgtoeslag"],"ja":true,"niets":null})", "r");
  ASSERT_TRUE(std::holds_alternative<SourceNode>(decoded));
  const SourceNode& root = std::get<SourceNode>(decoded);
  ASSERT_EQ(root.children.size(), 4u);
  EXPECT_EQ(root.children[0].name, "soort");
  EXPECT_EQ(root.children[1].text, "zorgtoeslag");
  EXPECT_EQ(root.children[2].text, "true");
  EXPECT_EQ(root.children[3].text, "");
}

class ToeslagenStatusFormatTest : public ::testing::Test {
 protected:
  // Registered on 2026-10-01; day 42 after it is 2026-11-12.
  std::string status(const std::string& huur_status, const std::string& decided_on) {
    ToeslagenStatusMessage m{"1", "2026-06-01", "2026-10-01", ToeslagStatus{}, std::nullopt};
    m.huurtoeslag->status = huur_status;
    m.huurtoeslag->decided_on = decided_on;
    return toeslagenStatusXml(m);
  }
  std::string bridging(const std::string& body, const char* today) {
    const ToeslagenStatusFormat format(SignalThresholds{}, [today] { return *parseIsoDate(today); });
    const auto decoded = format.decode(flowWithRoot("toeslagen.status", "toeslagenstatus"), body);
    if (auto* error = std::get_if<std::string>(&decoded)) return "error: " + *error;
    return child(std::get<SourceNode>(decoded), "overbrugging_nodig")->text;
  }
};

TEST_F(ToeslagenStatusFormatTest, BridgingIsSignalledWhenNoGrantCameWithinSixWeeks) {
  EXPECT_EQ(bridging(status("in-behandeling", ""), "2026-11-12"), "false");  // day 42: still in time
  EXPECT_EQ(bridging(status("in-behandeling", ""), "2026-11-13"), "true");   // day 43
  EXPECT_EQ(bridging(status("toegekend", "2026-11-12"), "2026-12-01"), "false");
  EXPECT_EQ(bridging(status("toegekend", "2026-11-13"), "2026-12-01"), "true");
  EXPECT_THAT(bridging(status("toegekend", ""), "2026-12-01"), HasSubstr("besluitdatum"));
  // A sender's own overbrugging_nodig is replaced, not trusted.
  std::string claimed = status("in-behandeling", "");
  claimed.replace(claimed.find("</toeslagenstatus>"), 0, "<overbrugging_nodig>false</overbrugging_nodig>");
  EXPECT_EQ(bridging(claimed, "2026-11-30"), "true");
}

TEST(ToeslagenXmlFormat, NestsDeliveredFieldsByTheirCanonicalPaths) {
  FieldDefinition text;
  const auto flow = flowWithRoot("coa.toeslagaanvraag", "toeslagaanvraag");
  const CanonicalValue bsn{&text, "persoon.bsn", "1"};
  const CanonicalValue first{&text, "gezin.leden[0].voornamen", "Sara"};
  const CanonicalValue second{&text, "gezin.leden[1].voornamen", "Omar & co"};
  const std::vector<const CanonicalValue*> delivered{&bsn, &second, &first};
  const std::string id = "t-1";
  const std::string basis = "AVG art. 6 lid 1 sub a";
  const std::string xml = ToeslagenXmlFormat().render({flow, id, basis, delivered, nullptr, nullptr, {}, nullptr});
  EXPECT_THAT(xml, HasSubstr("<toeslagaanvraag transactie_id=\"t-1\""));
  EXPECT_THAT(xml, HasSubstr("<persoon>"));
  const auto sara = xml.find("Sara");
  const auto omar = xml.find("Omar &amp; co");
  ASSERT_NE(sara, std::string::npos);
  ASSERT_NE(omar, std::string::npos);
  EXPECT_LT(sara, omar);  // leden[0] before leden[1], whatever order they came in
  EXPECT_EQ(checkToeslagaanvraag(xml), "the aanvraag has no IBAN to pay to");
}

TEST(DuoElipSource, ReadsWhatTheCriteriaNeedOrNothing) {
  FieldDefinition extension_field;
  extension_field.id = "duo.termijn.verlengingen[].maanden";
  CanonicalRecord record;
  record.values = {{nullptr, "procedure.wet", "wi2021"},
                   {nullptr, "duo.status", "plichtig"},
                   {nullptr, "duo.lening.maximum_eur", "10000.00"},
                   {nullptr, "duo.lening.besteed_eur", "8100.50"},
                   {nullptr, "duo.termijn.einde", "2027-03-01"},
                   {&extension_field, "duo.termijn.verlengingen[0].maanden", "6"}};
  const DuoElipSource duo;
  const auto person = duo.person(record);
  ASSERT_TRUE(person.has_value());
  EXPECT_TRUE(person->wi2021);
  EXPECT_FALSE(person->input.obligation_met);
  EXPECT_EQ(person->input.loan_used_cents, 810050);
  ASSERT_EQ(person->input.extensions.size(), 1u);
  EXPECT_EQ(person->input.extensions[0].months, 6);
  // A value the criteria cannot read makes the person unreadable, never a guess.
  CanonicalRecord bad_extension = record;
  bad_extension.values.back().value = "6 maanden";
  EXPECT_FALSE(duo.person(bad_extension).has_value());
  CanonicalRecord no_loan = record;
  no_loan.values.erase(no_loan.values.begin() + 2);
  EXPECT_FALSE(duo.person(no_loan).has_value());
  CanonicalRecord old_law = record;
  old_law.values[0].value = "wi2013";
  EXPECT_FALSE(duo.person(old_law)->wi2021);
}

TEST(EuroCents, ParsesExactlyOrNotAtAll) {
  EXPECT_EQ(parseEuroCents("7500"), 750000);
  EXPECT_EQ(parseEuroCents("7499.99"), 749999);
  EXPECT_EQ(parseEuroCents("0.5"), 50);
  for (const char* bad : {"", "-1", "1.", ".5", "1.005", "1,50", "1e3", "12345678901"}) {
    EXPECT_FALSE(parseEuroCents(bad)) << bad;
  }
}

TEST(CanonicalUuid, OneSpellingPerUuid) {
  EXPECT_EQ(canonicalUuid("0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6"), "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6");
  EXPECT_EQ(canonicalUuid("0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6"), "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6");
  EXPECT_FALSE(canonicalUuid("{0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6}").has_value());
  EXPECT_FALSE(canonicalUuid("0192f3a45b6c7d8e9fa0b1c2d3e4f5a6").has_value());
  EXPECT_FALSE(canonicalUuid("0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ag").has_value());
}

TEST(UuidFromName, IsStableDistinctAndAValidVersion8Uuid) {
  const std::string a = uuidFromName("duo.elip-signaal/ref/0363/2026-11");
  EXPECT_EQ(a, uuidFromName("duo.elip-signaal/ref/0363/2026-11"));
  EXPECT_NE(a, uuidFromName("duo.elip-signaal/ref/0363/2026-12"));
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '8');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort
