// One test (or more) per rule of the policy engine. Each fails when its rule is removed.
#include <gmock/gmock.h>

#include <deque>

#include "gateway/policy/policy_engine.hpp"
#include "tests/support/hand_filled_registries.hpp"
#include "tests/support/mapping_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBsn = "725763863";  // synthetic, elfproef-valid
constexpr const char* kOtherBsn = "162275869";

Party party(const char* id, const char* oin, PartyRole role, const char* cbs = nullptr) {
  Party p{id, *Oin::parse(oin), id, role, std::nullopt, std::nullopt, {}, {}};
  if (cbs) p.cbs_code = cbs;
  return p;
}

CivilDate day(const char* iso) { return *parseIsoDate(iso); }

std::string duoStatus(const char* bsn, const char* wet, const char* ontheffing_grond = nullptr) {
  std::string xml = std::string("<inburgeringsstatus><bsn>") + bsn + "</bsn><wet>" + wet +
                    "</wet><plichtig>true</plichtig><status>ontheffing</status>"
                    "<termijn><start>2023-01-01</start><einde>2026-07-01</einde>"
                    "<verlenging><maanden>6</maanden><reden>alfabetisering</reden></verlenging></termijn>"
                    "<lening><maximum>10000.00</maximum><besteed>8120.50</besteed></lening>"
                    "<examen><onderdeel>lezen</onderdeel><pogingen>2</pogingen><resultaat>behaald</resultaat></examen>"
                    "<ontheffing><verleend>true</verleend><datum>2025-03-01</datum>";
  if (ontheffing_grond) xml += std::string("<grond>") + ontheffing_grond + "</grond>";
  return xml + "</ontheffing></inburgeringsstatus>";
}

std::string aanmelding(const char* bsn, bool with_remarks) {
  std::string xml = std::string("<aanmelding><bsn>") + bsn +
                    "</bsn><route>ontheffing</route><plan_van_aanpak>Aanvullen tot 600 uur</plan_van_aanpak>"
                    "<uren_gevolgd>412</uren_gevolgd><lening_besteed_eur>9100.00</lening_besteed_eur>";
  if (with_remarks) xml += "<opmerkingen>Maakt zich zorgen over geld</opmerkingen>";
  return xml + "</aanmelding>";
}

std::string toeslagenStatus(const char* bsn, const char* permit) {
  return std::string("<toeslagenstatus><bsn>") + bsn + "</bsn><vergunningdatum>" + permit +
         "</vergunningdatum><brp_inschrijvingsdatum>2025-10-01</brp_inschrijvingsdatum>"
         "<huurtoeslag><status>in-behandeling</status></huurtoeslag></toeslagenstatus>";
}

class PolicyEngineTest : public ::testing::Test {
 protected:
  PolicyDecision decide(const std::string& flow_id, const Party& caller, const Party& recipient,
                        std::string_view purpose, const std::string& document, CivilDate date = day("2025-11-01")) {
    const FlowDefinition* flow = shippedCatalogue().findFlow(flow_id);
    EXPECT_NE(flow, nullptr);
    auto parsed = sourceFromXml(document);
    // Decisions refer into their mapped record, so the fixture keeps every one alive.
    MappingOutcome& mapped = mapped_.emplace_back();
    if (auto* error = std::get_if<std::string>(&parsed)) {
      mapped.errors.push_back(*error);
    } else {
      mapped = mapSourceDocument(*flow, std::get<SourceNode>(parsed));
    }
    const PolicyEngine engine(registries_.view());
    return engine.decide(PolicyRequest{caller, *flow, purpose, mapped, recipient, date});
  }

  PolicyDecision klantprofiel(const Party& caller, const Party& recipient,
                              std::string_view purpose = "regie-inburgering",
                              std::string document = readText(testData("klantprofiel.xml"))) {
    return decide("coa.klantprofiel", caller, recipient, purpose, document);
  }

  void koppel(const char* bsn, const char* cbs) {
    registries_.addKoppeling({{SubjectKey::Kind::kBsn, bsn}, cbs, day("2025-01-01")});
  }
  void agreement(const char* party_id, const char* cbs, const char* from, const char* until) {
    registries_.addAgreement(
        {"vwo-" + std::string(party_id) + "-" + cbs, party_id, "elip", cbs, day(from), day(until), "test"});
  }

  static const FieldDecision* fieldDecision(const PolicyDecision& d, const std::string& path) {
    for (const auto& f : d.fields) {
      if (f.path == path) return &f;
    }
    return nullptr;
  }

  std::deque<MappingOutcome> mapped_;
  HandFilledRegistries registries_;
  const Party coa_ = party("coa", "00000099100000000001", PartyRole::kCoa);
  const Party duo_ = party("duo", "00000099100000000002", PartyRole::kDuo);
  const Party toeslagen_ = party("toeslagen", "00000099100000000003", PartyRole::kToeslagen);
  const Party amsterdam_ = party("gemeente-0363", "00000099200000000363", PartyRole::kGemeente, "0363");
  const Party den_haag_ = party("gemeente-0518", "00000099200000000518", PartyRole::kGemeente, "0518");
  const Party school_a_ = party("taalschool-a", "00000099300000000001", PartyRole::kTaalschool);
};

// --- the exchange as a whole -------------------------------------------------------

TEST_F(PolicyEngineTest, KlantprofielReachesTheGekoppeldeGemeente) {
  const auto d = klantprofiel(coa_, amsterdam_);
  ASSERT_TRUE(d.allowed) << d.reason << ": " << d.detail;
  EXPECT_EQ(d.subject->value, kBsn);
  EXPECT_EQ(formatIsoDate(d.retention_until), "2030-11-01");  // P5Y
}

TEST_F(PolicyEngineTest, OnlyTheSendersRoleMaySendAFlow) {
  const auto d = klantprofiel(school_a_, amsterdam_);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::kFlowNotAllowed);
}

TEST_F(PolicyEngineTest, OnlyTheFlowsRecipientRolesReceiveIt) {
  const auto d = klantprofiel(coa_, duo_);
  EXPECT_EQ(d.reason, Reason::kFlowNotAllowed);
  EXPECT_THAT(d.detail, HasSubstr("role duo does not receive"));
}

TEST_F(PolicyEngineTest, AQueryIsStartedByTheRecipientNotTheSource) {
  koppel(kBsn, "0363");
  EXPECT_TRUE(
      decide("duo.inburgeringsstatus", amsterdam_, amsterdam_, "regie-inburgering", duoStatus(kBsn, "wi2021")).allowed);
  EXPECT_EQ(
      decide("duo.inburgeringsstatus", school_a_, amsterdam_, "regie-inburgering", duoStatus(kBsn, "wi2021")).reason,
      Reason::kFlowNotAllowed);
}

TEST_F(PolicyEngineTest, StatedPurposeMustBeTheFlowsPurpose) {
  EXPECT_EQ(klantprofiel(coa_, amsterdam_, "ontzorgen").reason, Reason::kPurposeMismatch);
  const auto missing = klantprofiel(coa_, amsterdam_, "");
  EXPECT_EQ(missing.reason, Reason::kPurposeMismatch);
  EXPECT_THAT(missing.detail, HasSubstr("X-Doelbinding is missing"));
}

TEST_F(PolicyEngineTest, KlantprofielGoesOnlyToTheGemeenteItNames) {
  const auto d = klantprofiel(coa_, den_haag_);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::kNoKoppeling);
}

TEST_F(PolicyEngineTest, AProfileCannotMoveAPersonTheRegistryKnowsElsewhere) {
  // The registry holds Amsterdam; a profile claiming Den Haag goes nowhere.
  koppel(kBsn, "0363");
  std::string moved = readText(testData("klantprofiel.xml"));
  moved.replace(moved.find("<gemeentecode>0363"), 18, "<gemeentecode>0518");
  const auto d = klantprofiel(coa_, den_haag_, "regie-inburgering", moved);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::kNoKoppeling);
  EXPECT_TRUE(klantprofiel(coa_, amsterdam_).allowed);  // the registered one still receives
}

TEST_F(PolicyEngineTest, RegistryKoppelingDecidesForDuoData) {
  EXPECT_EQ(
      decide("duo.inburgeringsstatus", amsterdam_, amsterdam_, "regie-inburgering", duoStatus(kBsn, "wi2021")).reason,
      Reason::kNoKoppeling);  // not gekoppeld at all
  koppel(kBsn, "0518");
  EXPECT_EQ(
      decide("duo.inburgeringsstatus", amsterdam_, amsterdam_, "regie-inburgering", duoStatus(kBsn, "wi2021")).reason,
      Reason::kNoKoppeling);  // gekoppeld elsewhere
  EXPECT_TRUE(
      decide("duo.inburgeringsstatus", den_haag_, den_haag_, "regie-inburgering", duoStatus(kBsn, "wi2021")).allowed);
}

TEST_F(PolicyEngineTest, PermitBefore2022MeansOldLawAndNoBasis) {
  std::string document = readText(testData("klantprofiel.xml"));
  document.replace(document.find("2025-09-03"), 10, "2021-12-31");
  EXPECT_EQ(klantprofiel(coa_, amsterdam_, "regie-inburgering", document).reason, Reason::kLawRegime);
  document.replace(document.find("2021-12-31"), 10, "2022-01-01");
  EXPECT_TRUE(klantprofiel(coa_, amsterdam_, "regie-inburgering", document).allowed);
}

TEST_F(PolicyEngineTest, DuoStatusOfAnOldLawPersonIsRefused) {
  koppel(kBsn, "0363");
  const auto d =
      decide("duo.inburgeringsstatus", amsterdam_, amsterdam_, "regie-inburgering", duoStatus(kBsn, "wi2013"));
  EXPECT_EQ(d.reason, Reason::kLawRegime);
  EXPECT_TRUE(d.fields.empty());  // no personal data at all
}

TEST_F(PolicyEngineTest, UnknownLawRegimeIsRefused) {
  std::string document = readText(testData("klantprofiel.xml"));
  document.replace(document.find("<vergunningdatum>2025-09-03</vergunningdatum>"), 45, "");
  EXPECT_EQ(klantprofiel(coa_, amsterdam_, "regie-inburgering", document).reason, Reason::kLawRegime);
}

TEST_F(PolicyEngineTest, SchoolNeedsAValidAgreementWithThatGemeenteForThatPurpose) {
  koppel(kBsn, "0363");
  const auto send = [&] {
    return decide("taalschool.elip-aanmelding", school_a_, amsterdam_, "elip", aanmelding(kBsn, false));
  };
  EXPECT_EQ(send().reason, Reason::kNoAgreement);  // none
  agreement("taalschool-a", "0518", "2025-01-01", "2026-12-31");
  EXPECT_EQ(send().reason, Reason::kNoAgreement);  // with another gemeente
  agreement("taalschool-a", "0363", "2024-01-01", "2025-06-30");
  EXPECT_EQ(send().reason, Reason::kNoAgreement);  // expired
  agreement("taalschool-a", "0363", "2025-07-01", "2026-06-30");
  const auto d = send();
  ASSERT_TRUE(d.allowed) << d.reason << ": " << d.detail;
  EXPECT_EQ(d.agreement_id, "vwo-taalschool-a-0363");
}

TEST_F(PolicyEngineTest, AgreementIsCheckedBeforeAnythingAboutThePersonIsConsidered) {
  // Not gekoppeld either: the missing agreement is the reason reported.
  EXPECT_EQ(decide("taalschool.aanwezigheid", school_a_, amsterdam_, "elip",
                   "<aanwezigheid><bsn>725763863</bsn><percentage>79.9</percentage></aanwezigheid>")
                .reason,
            Reason::kNoAgreement);
}

TEST_F(PolicyEngineTest, ConsentFlowNeedsAnActiveConsent) {
  const std::string doc =
      "<toeslagaanvraag><persoon><bsn>725763863</bsn></persoon>"
      "<aanvraag><soort>huurtoeslag</soort><soort>zorgtoeslag</soort></aanvraag></toeslagaanvraag>";
  const auto send = [&](const char* date) {
    return decide("coa.toeslagaanvraag", coa_, toeslagen_, "toeslagaanvraag", doc, day(date));
  };
  EXPECT_EQ(send("2025-11-01").reason, Reason::kNoConsent);
  registries_.addConsent({"c-1",
                          {SubjectKey::Kind::kBsn, kBsn},
                          "toeslagaanvraag",
                          duo_.oin,
                          day("2025-10-01"),
                          std::nullopt,
                          std::nullopt});
  EXPECT_EQ(send("2025-11-01").reason, Reason::kNoConsent);  // another recipient
  registries_.addConsent({"c-2",
                          {SubjectKey::Kind::kBsn, kBsn},
                          "toeslagaanvraag",
                          toeslagen_.oin,
                          day("2025-10-01"),
                          day("2025-12-01"),
                          day("2025-11-15")});
  EXPECT_EQ(send("2025-09-30").reason, Reason::kNoConsent);  // before it was granted
  const auto d = send("2025-11-01");
  ASSERT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.consent_id, "c-2");
  EXPECT_EQ(send("2025-11-15").reason, Reason::kNoConsent);  // withdrawn
  EXPECT_EQ(send("2025-12-01").reason, Reason::kNoConsent);  // expired
}

TEST_F(PolicyEngineTest, ToeslagenForAnOldLawPersonOnlyWithConsent) {
  koppel(kBsn, "0363");
  EXPECT_TRUE(
      decide("toeslagen.status", toeslagen_, amsterdam_, "ontzorgen", toeslagenStatus(kBsn, "2023-05-01")).allowed);
  const auto old_law = [&] {
    return decide("toeslagen.status", toeslagen_, amsterdam_, "ontzorgen", toeslagenStatus(kBsn, "2021-06-01"));
  };
  EXPECT_EQ(old_law().reason, Reason::kNoConsent);
  registries_.addConsent({"c-7",
                          {SubjectKey::Kind::kBsn, kBsn},
                          "ontzorgen",
                          amsterdam_.oin,
                          day("2025-01-01"),
                          std::nullopt,
                          std::nullopt});
  const auto d = old_law();
  ASSERT_TRUE(d.allowed) << d.reason;
  EXPECT_EQ(d.consent_id, "c-7");
}

TEST_F(PolicyEngineTest, BsnFailingTheElfproefIsAnInvalidMessage) {
  std::string document = readText(testData("klantprofiel.xml"));
  document.replace(document.find(kBsn), 9, "725763864");
  const auto d = klantprofiel(coa_, amsterdam_, "regie-inburgering", document);
  EXPECT_EQ(d.reason, Reason::kInvalidMessage);
  EXPECT_THAT(d.detail, ::testing::Not(HasSubstr("725763864")));
}

TEST_F(PolicyEngineTest, UnparsableDocumentIsAnInvalidMessage) {
  EXPECT_EQ(klantprofiel(coa_, amsterdam_, "regie-inburgering", "<klantprofiel><persoon>").reason,
            Reason::kInvalidMessage);
}

TEST_F(PolicyEngineTest, MessageWithoutADataSubjectIsInvalid) {
  const auto d = klantprofiel(coa_, amsterdam_, "regie-inburgering",
                              "<klantprofiel><opvang><azc>azc X</azc></opvang></klantprofiel>");
  EXPECT_EQ(d.reason, Reason::kInvalidMessage);
  EXPECT_THAT(d.detail, HasSubstr("does not identify its data subject"));
}

// --- field by field --------------------------------------------------------------------

TEST_F(PolicyEngineTest, KlantprofielReachesTheGemeenteWithoutItsMedicalSection) {
  const auto d = klantprofiel(coa_, amsterdam_);
  ASSERT_TRUE(d.allowed);
  for (const char* path : {"medisch.diagnosen[0]", "medisch.diagnosen[1]", "medisch.medicatie[0]",
                           "medisch.behandeling", "medisch.huisarts", "medisch.psychische_screening"}) {
    const FieldDecision* f = fieldDecision(d, path);
    ASSERT_NE(f, nullptr) << path;
    EXPECT_FALSE(f->delivered) << path;
    EXPECT_EQ(f->reason, Reason::kSpecialCategory) << path;
  }
  for (const auto* v : d.delivered) EXPECT_FALSE(v->field->isSpecial()) << v->path;
  EXPECT_EQ(fieldDecision(d, "achtergrond.religie")->reason, Reason::kSpecialCategory);
}

TEST_F(PolicyEngineTest, FieldsNotOnTheRecipientsListAreWithheld) {
  const auto d = klantprofiel(coa_, amsterdam_);
  ASSERT_TRUE(d.allowed);
  for (const char* path :
       {"achtergrond.asielrelaas", "achtergrond.opleiding", "financien.schuld_coa_eur", "opmerkingen.casemanager"}) {
    const FieldDecision* f = fieldDecision(d, path);
    ASSERT_NE(f, nullptr) << path;
    EXPECT_FALSE(f->delivered) << path;
    EXPECT_EQ(f->reason, Reason::kNotPermitted) << path;
  }
  ASSERT_NE(fieldDecision(d, "gezin.leden[2].voornamen"), nullptr);
  EXPECT_TRUE(fieldDecision(d, "gezin.leden[2].voornamen")->delivered);
  EXPECT_TRUE(fieldDecision(d, "voorinburgering.nt2_uren")->delivered);
  EXPECT_TRUE(fieldDecision(d, "casemanager.telefoon")->delivered);
}

TEST_F(PolicyEngineTest, WhatTheMappingDoesNotKnowIsWithheld) {
  const auto d = klantprofiel(coa_, amsterdam_);
  ASSERT_TRUE(d.allowed);
  const FieldDecision* f = fieldDecision(d, "/bijlage/naam");
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->delivered);
  EXPECT_EQ(f->reason, Reason::kNotMapped);
  for (const auto* v : d.delivered) EXPECT_NE(v->value, "Paspoortscan");
}

TEST_F(PolicyEngineTest, ExemptionReachesTheGemeenteButNotItsGround) {
  koppel(kBsn, "0363");
  const auto d = decide("duo.inburgeringsstatus", amsterdam_, amsterdam_, "regie-inburgering",
                        duoStatus(kBsn, "wi2021", "psychische beperking"));
  ASSERT_TRUE(d.allowed) << d.reason;
  EXPECT_TRUE(fieldDecision(d, "duo.ontheffing.verleend")->delivered);
  EXPECT_TRUE(fieldDecision(d, "duo.ontheffing.datum")->delivered);
  EXPECT_FALSE(fieldDecision(d, "duo.ontheffing.grond")->delivered);
  EXPECT_EQ(fieldDecision(d, "duo.ontheffing.grond")->reason, Reason::kSpecialCategory);
}

TEST_F(PolicyEngineTest, SchoolRemarksPassOnlyUnderConsent) {
  koppel(kBsn, "0363");
  agreement("taalschool-a", "0363", "2025-01-01", "2026-12-31");
  const auto without = decide("taalschool.elip-aanmelding", school_a_, amsterdam_, "elip", aanmelding(kBsn, true));
  ASSERT_TRUE(without.allowed);
  EXPECT_FALSE(fieldDecision(without, "taalschool.opmerkingen")->delivered);
  EXPECT_EQ(fieldDecision(without, "taalschool.opmerkingen")->reason, Reason::kNoConsent);
  EXPECT_TRUE(fieldDecision(without, "taalschool.route")->delivered);
  EXPECT_FALSE(without.consent_id);

  registries_.addConsent(
      {"c-9", {SubjectKey::Kind::kBsn, kBsn}, "elip", amsterdam_.oin, day("2025-01-01"), std::nullopt, std::nullopt});
  const auto with = decide("taalschool.elip-aanmelding", school_a_, amsterdam_, "elip", aanmelding(kBsn, true));
  ASSERT_TRUE(with.allowed);
  EXPECT_TRUE(fieldDecision(with, "taalschool.opmerkingen")->delivered);
  EXPECT_EQ(with.consent_id, "c-9");
}

TEST_F(PolicyEngineTest, ConsentOfAnotherPersonDoesNotCount) {
  koppel(kBsn, "0363");
  agreement("taalschool-a", "0363", "2025-01-01", "2026-12-31");
  registries_.addConsent({"c-x",
                          {SubjectKey::Kind::kBsn, kOtherBsn},
                          "elip",
                          amsterdam_.oin,
                          day("2025-01-01"),
                          std::nullopt,
                          std::nullopt});
  const auto d = decide("taalschool.elip-aanmelding", school_a_, amsterdam_, "elip", aanmelding(kBsn, true));
  ASSERT_TRUE(d.allowed);
  EXPECT_FALSE(fieldDecision(d, "taalschool.opmerkingen")->delivered);
}

TEST_F(PolicyEngineTest, EveryValueGetsExactlyOneDecision) {
  const auto d = klantprofiel(coa_, amsterdam_);
  ASSERT_TRUE(d.allowed);
  std::size_t delivered = 0;
  for (const auto& f : d.fields) {
    EXPECT_EQ(f.delivered, !f.reason.has_value()) << f.path;
    delivered += f.delivered;
  }
  EXPECT_EQ(delivered, d.delivered.size());
}

}  // namespace
}  // namespace ketenpoort::testing
