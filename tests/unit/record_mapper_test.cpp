#include <gmock/gmock.h>

#include "tests/support/mapping_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

const FlowDefinition& klantprofielFlow() { return *shippedCatalogue().findFlow("coa.klantprofiel"); }

std::string valueOf(const CanonicalRecord& record, const std::string& path) {
  for (const auto& v : record.values) {
    if (v.path == path) return v.value;
  }
  return "<absent>";
}

TEST(RecordMapper, MapsTheSampleKlantprofiel) {
  const auto out = mapSourceDocument(klantprofielFlow(), parseXml(readText(testData("klantprofiel.xml"))));
  ASSERT_TRUE(out.ok()) << out.errors.front();
  const auto& r = out.record;
  EXPECT_EQ(valueOf(r, "persoon.bsn"), "725763863");
  EXPECT_EQ(valueOf(r, "procedure.profiel_versie"), "2");  // from the attribute
  EXPECT_EQ(valueOf(r, "procedure.koppeling_gemeentecode"), "0363");
  EXPECT_EQ(valueOf(r, "gezin.leden[0].relatie"), "partner");
  EXPECT_EQ(valueOf(r, "gezin.leden[3].voornamen"), "Yara");
  EXPECT_EQ(valueOf(r, "voorinburgering.activiteiten[2]"), "Vrijwilligerswerk keuken azc");
  EXPECT_EQ(valueOf(r, "medisch.diagnosen[1]"), "Posttraumatische stressklachten, in behandeling");
  EXPECT_EQ(r.first(shippedCatalogue().fields.find("gezin.leden[].relatie"))->path, "gezin.leden[0].relatie");
}

TEST(RecordMapper, WhatTheMappingDoesNotKnowIsCollectedNotPassed) {
  const auto out = mapSourceDocument(klantprofielFlow(), parseXml(readText(testData("klantprofiel.xml"))));
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(out.record.unmapped_paths, Contains("/bijlage/naam"));
  EXPECT_THAT(out.record.unmapped_paths, Contains("/bijlage/verwijzing"));
  for (const auto& v : out.record.values) EXPECT_NE(v.value, "Paspoortscan");
}

TEST(RecordMapper, BsnFailingTheElfproefIsAnErrorThatDoesNotRepeatIt) {
  const auto out = mapSourceDocument(klantprofielFlow(),
                                     parseXml("<klantprofiel><persoon><bsn>123456789</bsn></persoon></klantprofiel>"));
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_THAT(out.errors[0], HasSubstr("/persoon/bsn (persoon.bsn): not a valid BSN"));
  EXPECT_THAT(out.errors[0], ::testing::Not(HasSubstr("123456789")));
}

TEST(RecordMapper, TypesAreChecked) {
  const auto out = mapSourceDocument(
      klantprofielFlow(),
      parseXml("<klantprofiel><persoon><geboortedatum>17-04-1991</geboortedatum><geslacht>vrouw</geslacht>"
               "</persoon><voorinburgering><nt2_uren>veel</nt2_uren></voorinburgering></klantprofiel>"));
  EXPECT_EQ(out.errors.size(), 3u);
}

TEST(RecordMapper, ASingleElementGivenTwiceIsAnError) {
  const auto out = mapSourceDocument(
      klantprofielFlow(),
      parseXml("<klantprofiel><persoon><bsn>725763863</bsn><bsn>162275869</bsn></persoon></klantprofiel>"));
  EXPECT_THAT(out.errors, Contains(HasSubstr("/persoon/bsn may appear only once")));
}

TEST(RecordMapper, WrongRootIsAnError) {
  const auto out = mapSourceDocument(klantprofielFlow(), parseXml("<nareisprofiel/>"));
  EXPECT_THAT(out.errors, Contains(HasSubstr("root must be <klantprofiel>")));
}

TEST(RecordMapper, TheWrongRootIsNotEchoed) {
  const auto out = mapSourceDocument(klantprofielFlow(), parseXml("<b725763863/>"));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.errors.front(), ::testing::Not(HasSubstr("725763863")));
}

TEST(RecordMapper, TextThatIsNotUtf8OrHoldsControlCharactersIsRefusedNamingTheFieldOnly) {
  for (const std::string& bad : {std::string("Am\xffna"), std::string("Am\xc0\xafna"),  // invalid, overlong
                                 std::string("Am\xed\xa0\x80na"),                       // a surrogate
                                 std::string("Am\x01na"), std::string("Am\x7fna")}) {
    SourceNode doc{"klantprofiel", {}, {{"persoon", {}, {{"voornamen", bad, {}}}}}};
    const auto out = mapSourceDocument(klantprofielFlow(), doc);
    ASSERT_EQ(out.errors.size(), 1u) << bad;
    EXPECT_THAT(out.errors[0], HasSubstr("persoon.voornamen"));
    EXPECT_THAT(out.errors[0], ::testing::Not(HasSubstr("Am")));
  }
  // Tab, CR, LF and multi-byte text are text.
  SourceNode fine{"klantprofiel", {}, {{"persoon", {}, {{"voornamen", "Amna\tZo\u00eb \u062f", {}}}}}};
  EXPECT_TRUE(mapSourceDocument(klantprofielFlow(), fine).ok());
  // Unknown content is withheld, but bytes that are not text refuse the document, counted.
  SourceNode unknown{"klantprofiel", {}, {{"onbekend\xff", "x", {}}}};
  const auto out = mapSourceDocument(klantprofielFlow(), unknown);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_THAT(out.errors[0], ::testing::Not(HasSubstr("onbekend")));
}

TEST(SourceText, AcceptsUtf8UpToTheLastCodePointAndNothingBeyond) {
  EXPECT_EQ(textProblem("\xf4\x8f\xbf\xbf"), nullptr);      // U+10FFFF
  EXPECT_NE(textProblem("\xf4\x90\x80\x80"), nullptr);      // past it
  EXPECT_NE(textProblem("\xe2\x82"), nullptr);              // cut short
  EXPECT_NE(textProblem(std::string("a\0b", 3)), nullptr);  // NUL
}

TEST(RecordMapper, AGroupWhereAValueBelongsIsAnError) {
  const auto out = mapSourceDocument(klantprofielFlow(),
                                     parseXml("<klantprofiel><persoon><bsn><x>1</x></bsn></persoon></klantprofiel>"));
  EXPECT_THAT(out.errors, Contains(HasSubstr("must be a value, not a group")));
}

TEST(SourceDocument, RefusesDoctypeAndDeepNesting) {
  EXPECT_TRUE(std::holds_alternative<std::string>(
      sourceFromXml("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>")));
  std::string deep;
  for (int i = 0; i < kMaxSourceDepth + 2; ++i) deep += "<a>";
  for (int i = 0; i < kMaxSourceDepth + 2; ++i) deep += "</a>";
  const auto parsed = sourceFromXml(deep);
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
  EXPECT_THAT(std::get<std::string>(parsed), HasSubstr("nested deeper"));
  EXPECT_TRUE(std::holds_alternative<std::string>(sourceFromXml("<a><b></a>")));
}

}  // namespace
}  // namespace ketenpoort::testing
