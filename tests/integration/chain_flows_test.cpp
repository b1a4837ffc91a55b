// The rest of the chain through the real HTTPS API: DUO status queries (filtered, and
// failing closed when DUO is slow or down), ELIP signals and old-law counts, language
// school pushes, and toeslagen both ways. Every refusal reason of the policy engine is
// reached here through one of these flows.
#include "tests/integration/chain_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using ChainFlowsTest = ChainFixture;

TEST_F(ChainFlowsTest, DuoStatusReachesTheGekoppeldeGemeenteWithoutTheExemptionsGround) {
  const HttpsResponse r = askDuo("gemeente-0363", kExempted);
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto json = boost::json::parse(r.body);
  const auto& gegevens = json.at("gegevens").as_object();
  EXPECT_EQ(gegevens.at("duo").at("ontheffing").at("verleend"), true);
  EXPECT_TRUE(gegevens.at("duo").at("ontheffing").as_object().contains("datum"));
  EXPECT_EQ(gegevens.at("duo").at("termijn").at("einde").as_string().size(), 10u);
  EXPECT_EQ(gegevens.at("duo").at("examens").as_array().size(), 1u);
  EXPECT_THAT(r.body, Not(HasSubstr("psychische")));
  EXPECT_THAT(r.body, Not(HasSubstr("\"grond\"")));
  const auto record = lastRecord("duo.inburgeringsstatus", "gemeente-0363");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->record.outcome, ExchangeOutcome::kDelivered);
  ASSERT_EQ(record->record.fields_withheld.size(), 1u);
  EXPECT_EQ(record->record.fields_withheld[0].field, "duo.ontheffing.grond");
  EXPECT_EQ(record->record.fields_withheld[0].reason, "special-category");
}

TEST_F(ChainFlowsTest, EveryRefusalReasonIsReachedThroughTheHttpsApi) {
  struct Case {
    const char* reason;
    unsigned status;
    std::function<HttpsResponse()> request;
    const char* flow;
    const char* officer_party;
  };
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  const std::string aanmelding = elipAanmeldingJson(pupil);
  const std::vector<Case> cases{
      {"flow-not-allowed", 403, [&] { return askDuo("taalschool-a", kCandidate); }, "duo.inburgeringsstatus",
       "taalschool-a"},
      {"purpose-mismatch", 403, [&] { return askDuo("gemeente-0363", kCandidate, "elip"); }, "duo.inburgeringsstatus",
       "gemeente-0363"},
      {"no-koppeling", 403, [&] { return askDuo("gemeente-0518", kCandidate); }, "duo.inburgeringsstatus",
       "gemeente-0518"},
      {"law-regime", 403, [&] { return askDuo("gemeente-0363", kOldLaw); }, "duo.inburgeringsstatus", "gemeente-0363"},
      {"no-agreement", 403,
       [&] {
         return call("taalschool-b", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip", aanmelding,
                     {{"X-Ontvanger", "gemeente-0363"}});
       },
       "taalschool.elip-aanmelding", "taalschool-b"},
      {"invalid-message", 400,
       [&] {
         return call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip",
                     R"({"bsn": ")" + kCandidate + R"(", "lessen_gepland": 10, "lessen_bijgewoond": 12})");
       },
       "taalschool.aanwezigheid", "taalschool-a"},
      {"no-consent", 403,
       [&] {
         return call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                     toeslagenStatus(kOldLaw, "2020-05-01", 20));
       },
       "toeslagen.status", "toeslagen"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    const HttpsResponse r = c.request();
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(code(r), c.reason);
    EXPECT_THAT(r.body, Not(HasSubstr("gegevens")));
    const auto record = lastRecord(c.flow, c.officer_party);
    ASSERT_TRUE(record) << "no log record";
    EXPECT_EQ(record->record.outcome, ExchangeOutcome::kRefused);
    EXPECT_EQ(record->record.reason, c.reason);
  }
  // The old-law person's status was asked of DUO (the regime is DUO's to say) but none of
  // it was passed on; the person not gekoppeld to Den Haag was never asked about.
  EXPECT_EQ(duo_->questions(), 1u);
}

TEST_F(ChainFlowsTest, SlowOrUnreachableDuoGivesGatewayTimeoutOrBadGatewayAndNoData) {
  duo_->setDelay(std::chrono::milliseconds(1500));
  const auto started = std::chrono::steady_clock::now();
  HttpsResponse r = askDuo("gemeente-0363", kCandidate);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1200));
  EXPECT_EQ(r.status, 504u) << r.body;
  EXPECT_EQ(code(r), "source-timeout");
  EXPECT_THAT(r.body, Not(HasSubstr("gegevens")));
  auto record = lastRecord("duo.inburgeringsstatus", "gemeente-0363");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->record.outcome, ExchangeOutcome::kFailed);
  EXPECT_EQ(record->record.reason, "source-timeout");

  duo_.reset();  // DUO's system is gone: nothing listens on its port
  r = askDuo("gemeente-0363", kCandidate);
  EXPECT_EQ(r.status, 502u) << r.body;
  EXPECT_EQ(code(r), "source-unreachable");
  record = lastRecord("duo.inburgeringsstatus", "gemeente-0363");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->record.outcome, ExchangeOutcome::kFailed);
  EXPECT_EQ(record->record.reason, "source-unreachable");
}

TEST_F(ChainFlowsTest, DuoNotKnowingThePersonIsSubjectUnknownAndNoData) {
  // Gekoppeld to Amsterdam, but DUO's register has no record of the person.
  std::mt19937_64 rng(99);
  const std::string unknown = randomSyntheticBsn(rng);
  ASSERT_TRUE(server_->registries()
                  .registerKoppeling({SubjectKey::Kind::kBsn, unknown}, config_.findPartyById("gemeente-0363")->oin,
                                     "0363", addPeriod(todayUtc(), {0, -1, 0}), "test://koppeling")
                  .ok);
  const HttpsResponse r = askDuo("gemeente-0363", unknown);
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(code(r), "subject-unknown");
  EXPECT_THAT(r.body, Not(HasSubstr("gegevens")));
  const auto record = lastRecord("duo.inburgeringsstatus", "gemeente-0363");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->record.outcome, ExchangeOutcome::kFailed);
  EXPECT_EQ(record->record.reason, "subject-unknown");
}

TEST_F(ChainFlowsTest, ElipSignalGoesToTheGekoppeldeGemeenteOnceAndOldLawOnlyAsCounts) {
  HttpsResponse r = call("gemeente-0363", "POST", "/v1/signalen/duo.elip-signaal", "elip");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto json = boost::json::parse(r.body);
  // Candidate at exactly 75 %: signalled. Exempted: not a candidate. Old-law: counted.
  // The fourth lives in Amsterdam by DUO's books but is not gekoppeld: refused, logged.
  EXPECT_EQ(json.at("personen"), 4);
  EXPECT_EQ(json.at("signalen_verstuurd"), 1);
  EXPECT_EQ(json.at("geweigerd").at("no-koppeling"), 1);
  EXPECT_EQ(json.at("oude_wet").at("personen"), 1);
  EXPECT_EQ(json.at("oude_wet").at("elip_kandidaten"), 1);
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  const std::string signal = received("gemeente-0363").front();
  EXPECT_THAT(signal, HasSubstr(kCandidate));
  EXPECT_THAT(signal, HasSubstr("\"kandidaat\":true"));
  EXPECT_THAT(signal, HasSubstr("\"lening_percentage\":\"75.00\""));
  EXPECT_THAT(signal, Not(HasSubstr(kOldLaw)));

  r = call("gemeente-0363", "POST", "/v1/signalen/duo.elip-signaal", "elip");
  json = boost::json::parse(r.body);
  EXPECT_EQ(json.at("signalen_verstuurd"), 0);
  EXPECT_EQ(json.at("al_gesignaleerd"), 1);

  r = call("gemeente-0363", "GET", "/v1/aantallen/duo.elip-signaal", "elip");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("oude_wet").at("personen"), 1);
  EXPECT_THAT(r.body, Not(HasSubstr("signalen")));
  EXPECT_THAT(r.body, Not(HasSubstr(kOldLaw)));
  EXPECT_EQ(code(call("taalschool-a", "GET", "/v1/aantallen/duo.elip-signaal", "elip")), "flow-not-allowed");
}

TEST_F(ChainFlowsTest, AttendanceIsFlaggedByTheGatewaysNormAndRemarksNeedConsent) {
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  pupil.lessons_planned = 40;
  pupil.lessons_attended = 31;  // 77.5 %
  pupil.remarks = "zorgen over thuissituatie";
  const HttpsResponse r = call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip",
                               aanwezigheidJson(pupil, *parseIsoDate("2026-09-01"), *parseIsoDate("2026-10-31")));
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  const std::string delivered = received("gemeente-0363").front();
  EXPECT_THAT(delivered, HasSubstr("\"percentage\":\"77.50\""));
  EXPECT_THAT(delivered, HasSubstr("\"onder_norm\":true"));
  EXPECT_THAT(delivered, Not(HasSubstr("thuissituatie")));
  const auto record = lastRecord("taalschool.aanwezigheid", "taalschool-a");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->record.agreement_id, "vwo-0363-taalschool-a-elip");
  ASSERT_EQ(record->record.fields_withheld.size(), 1u);
  EXPECT_EQ(record->record.fields_withheld[0].reason, "no-consent");
}

TEST_F(ChainFlowsTest, ToeslagAanvraagReachesTheBelastingdienstAndStatusSignalsBridging) {
  // COA applies under the person's machtiging; the medical remark stays behind.
  const Party& toeslagen = *config_.findPartyById("toeslagen");
  ASSERT_TRUE(server_->registries()
                  .grantConsent({{SubjectKey::Kind::kBsn, kCandidate},
                                 "toeslagaanvraag",
                                 toeslagen.oin,
                                 "test://machtiging",
                                 addPeriod(todayUtc(), {0, 0, -1}),
                                 std::nullopt})
                  .ok);
  HttpsResponse r = call("coa", "POST", "/v1/berichten/coa.toeslagaanvraag", "toeslagaanvraag",
                         syntheticToeslagaanvraag(kCandidate, "2026-11-01"), {{"X-Ontvanger", "toeslagen"}});
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(waitUntil([&] { return received("toeslagen").size() == 1; }));
  const std::string aanvraag = received("toeslagen").front();
  EXPECT_THAT(aanvraag, HasSubstr("<iban>NL91ABNA0417164300</iban>"));
  EXPECT_THAT(aanvraag, HasSubstr("<soorten>zorgtoeslag</soorten>"));
  EXPECT_THAT(aanvraag, Not(HasSubstr("rolstoel")));

  // 43 days after BRP registration and not granted: bridging needed.
  r = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
           toeslagenStatus(kCandidate, "2025-03-01", 43));
  ASSERT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  EXPECT_THAT(received("gemeente-0363").front(), HasSubstr("\"overbrugging_nodig\":true"));

  // Old-law: refused without consent (in the refusal test), passes with it.
  ASSERT_TRUE(server_->registries()
                  .grantConsent({{SubjectKey::Kind::kBsn, kOldLaw},
                                 "ontzorgen",
                                 config_.findPartyById("gemeente-0363")->oin,
                                 "test://toestemming",
                                 addPeriod(todayUtc(), {0, 0, -1}),
                                 std::nullopt})
                  .ok);
  r = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
           toeslagenStatus(kOldLaw, "2020-05-01", 10));
  EXPECT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 2; }));
}

}  // namespace
}  // namespace ketenpoort::testing
