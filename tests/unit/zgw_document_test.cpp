// Issue 28: the readable document a consulent finds in the case system.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/zgw/readable_document.hpp"
#include "adapters/zgw/zgw_format.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ReadableDocument klantprofiel() {
  ReadableDocument d;
  d.title = "Klantprofiel van COA";
  d.sender = "COA";
  d.purpose = "regie op de inburgering";
  d.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
  d.transaction_id = "0193f2a1-c9e0-7b5d-a2c4-e6f8a0b1c2d3";
  d.sent_at = "2026-12-07T14:03:09.120Z";
  d.delivered = {{"Geslachtsnaam", "Haddad"},
                 {"Geboortedatum", "1994-03-17"},
                 {"Deelname voorinburgering", "true"},
                 {"Opmerkingen van de casemanager", "<script>alert(1)</script> & \"zo\""}};
  d.withheld = {{"Diagnosen", "Bijzonder persoonsgegeven (gezondheid): wordt niet doorgegeven."}};
  return d;
}

TEST(ReadableDocument, ShowsTheDeliveredFieldsByTheirLabelsInDutch) {
  const std::string page = renderReadableDocument(klantprofiel());
  EXPECT_THAT(page, HasSubstr("<html lang=\"nl\">"));
  EXPECT_THAT(page, HasSubstr("<th scope=\"row\">Geslachtsnaam</th><td>Haddad</td>"));
  EXPECT_THAT(page, HasSubstr("<td>17 maart 1994</td>"));
  EXPECT_THAT(page, HasSubstr("<th scope=\"row\">Deelname voorinburgering</th><td>ja</td>"));
  EXPECT_THAT(page, HasSubstr("ontvangen 7 december 2026, 14:03 uur (UTC)"));
  EXPECT_THAT(page, HasSubstr("Kenmerk 0193f2a1-c9e0-7b5d-a2c4-e6f8a0b1c2d3"));
}

TEST(ReadableDocument, NamesWhatWasWithheldAndWhyButNoValue) {
  const std::string page = renderReadableDocument(klantprofiel());
  EXPECT_THAT(page, HasSubstr("<h2>Niet doorgegeven</h2>"));
  EXPECT_THAT(page, HasSubstr("<th scope=\"row\">Diagnosen</th><td>Bijzonder persoonsgegeven (gezondheid): wordt niet "
                              "doorgegeven.</td>"));
  ReadableDocument nothing_withheld = klantprofiel();
  nothing_withheld.withheld.clear();
  EXPECT_THAT(renderReadableDocument(nothing_withheld), Not(HasSubstr("Niet doorgegeven")));
}

TEST(ReadableDocument, NoValueBecomesMarkupAndNothingComesFromElsewhere) {
  ReadableDocument d = klantprofiel();
  d.delivered.push_back({"Voornamen", std::string("Na\xff\xfe", 4)});  // not UTF-8
  d.title = "Klantprofiel </title><script>";
  const std::string page = renderReadableDocument(d);
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;zo&quot;"));
  EXPECT_THAT(page, HasSubstr("<td>Na\xEF\xBF\xBD\xEF\xBF\xBD</td>"));
  EXPECT_THAT(page, HasSubstr("<title>Klantprofiel &lt;/title&gt;&lt;script&gt;</title>"));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("href=")));
  EXPECT_THAT(page, Not(HasSubstr("url(")));
}

}  // namespace
}  // namespace ketenpoort

namespace ketenpoort {
namespace {

TEST(ReadableDocument, ARepeatedFieldIsNumberedFromOneAfterTheGroupItsLabelNames) {
  FieldDefinition member;
  member.label = "Gezinslid: voornamen";
  EXPECT_EQ(labelOfPath(member, "gezin.leden[1].voornamen"), "Gezinslid 2: voornamen");
  FieldDefinition activity;
  activity.label = "Andere activiteiten voorinburgering";
  EXPECT_EQ(labelOfPath(activity, "voorinburgering.activiteiten[0]"), "Andere activiteiten voorinburgering 1");
  FieldDefinition plain;
  plain.label = "Voornamen";
  EXPECT_EQ(labelOfPath(plain, "persoon.voornamen"), "Voornamen");
}

}  // namespace
}  // namespace ketenpoort
