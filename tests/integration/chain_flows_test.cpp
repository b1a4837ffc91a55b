// The rest of the chain through the real HTTPS API: DUO status queries (filtered, and
// failing closed when DUO is slow or down), ELIP signals and old-law counts, language
// school pushes, and toeslagen both ways. Every refusal reason of the policy engine is
// reached here through one of these flows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "adapters/duo/duo_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/standard_adapters.hpp"
#include "adapters/taalschool/taalschool_simulator.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "gateway/http/https_client.hpp"
#include "tests/integration/gateway_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Synthetic persons (elfproef BSNs drawn from a fixed seed).
std::string syntheticBsn(int n) {
  std::mt19937_64 rng(4242);
  std::string bsn;
  for (int i = 0; i <= n; ++i) bsn = randomSyntheticBsn(rng);
  return bsn;
}
const std::string kCandidate = syntheticBsn(0);  // Wi2021, ELIP candidate, gekoppeld 0363
const std::string kOldLaw = syntheticBsn(1);     // Wi2013, gekoppeld 0363
const std::string kExempted = syntheticBsn(2);   // Wi2021, exempted on medical grounds
const std::string kElsewhere = syntheticBsn(3);  // in Amsterdam by DUO's books, not gekoppeld

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ChainFlowsTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    config_.queries.timeout = std::chrono::milliseconds(400);
    const CivilDate today = todayUtc();
    const auto date = [&](int months) { return formatIsoDate(addPeriod(today, {0, months, 0})); };

    DuoPerson candidate;
    candidate.bsn = kCandidate;
    candidate.gemeente_cbs = "0363";
    candidate.termijn_start = date(-30);
    candidate.termijn_end = date(4);
    candidate.loan_used_eur = "7500.00";  // exactly 75 %
    candidate.exams = {{"lezen", 2, "niet-behaald"}};
    DuoPerson old_law = candidate;
    old_law.bsn = kOldLaw;
    old_law.law = "wi2013";
    DuoPerson exempted = candidate;
    exempted.bsn = kExempted;
    exempted.status = "ontheffing";
    exempted.exemption_date = date(-1);
    exempted.exemption_ground = "psychische beperking";
    DuoPerson elsewhere = candidate;
    elsewhere.bsn = kElsewhere;
    DuoSimulatorOptions duo;
    duo.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("duo"), env_->keyOf("duo")};
    duo.persons = {candidate, old_law, exempted, elsewhere};
    duo_ = std::make_unique<DuoSimulator>(duo, "");  // any certificate of the test CA
    duo_->start();

    amsterdam_ = receiver("gemeente-0363", ".json", {});
    belastingdienst_ = receiver("toeslagen", ".xml", checkToeslagaanvraag);
    const auto url = [](std::uint16_t port, const char* path) {
      return "https://127.0.0.1:" + std::to_string(port) + path;
    };
    for (Party& p : config_.parties) {
      if (p.id == "duo") {
        p.endpoints = {{"duo.inburgeringsstatus", url(duo_->port(), "/duo/inburgeringsstatus")},
                       {"duo.elip-signaal", url(duo_->port(), "/duo/elip-overzicht")}};
      }
      if (p.id == "gemeente-0363") p.endpoints = {{"*", url(amsterdam_->port(), "/berichten")}};
      if (p.id == "toeslagen") p.endpoints = {{"*", url(belastingdienst_->port(), "/toeslagen/aanvragen")}};
    }
    server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_));
    server_->start(false);
    const Party& amsterdam = *config_.findPartyById("gemeente-0363");
    for (const std::string& bsn : {kCandidate, kOldLaw, kExempted}) {
      ASSERT_TRUE(server_->registries()
                      .registerKoppeling({SubjectKey::Kind::kBsn, bsn}, amsterdam.oin, "0363",
                                         addPeriod(today, {0, -6, 0}), "test://koppeling")
                      .ok);
    }
  }

  void TearDown() override {
    GatewayFixture::TearDown();
    if (duo_) duo_->stop();
    amsterdam_->stop();
    belastingdienst_->stop();
  }

  std::unique_ptr<GemeenteSimulator> receiver(const std::string& party, const char* extension,
                                              std::function<std::string(std::string_view)> check) {
    GemeenteSimulatorOptions o;
    o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf(party), env_->keyOf(party)};
    o.out_dir = dir_.path() / "received" / party;
    o.file_extension = extension;
    o.check = std::move(check);
    auto r = std::make_unique<GemeenteSimulator>(o);
    r->start();
    return r;
  }

  HttpsResponse call(const std::string& party, const std::string& method, const std::string& target,
                     const std::string& purpose, const std::string& body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpsClient client({"127.0.0.1", server_->exchangePort(), env_->pkiDir() / "ca.pem",
                        env_->certificateOf(party), env_->keyOf(party), std::chrono::seconds(10)});
    headers.emplace_back("X-Doelbinding", purpose);
    auto r = client.request(method, target, headers, body);
    EXPECT_TRUE(std::holds_alternative<HttpsResponse>(r)) << std::get<std::string>(r);
    return std::holds_alternative<HttpsResponse>(r) ? std::get<HttpsResponse>(r) : HttpsResponse{};
  }

  HttpsResponse askDuo(const std::string& party, const std::string& bsn,
                       const std::string& purpose = "regie-inburgering") {
    return call(party, "GET", "/v1/bevragingen/duo.inburgeringsstatus?bsn=" + bsn, purpose);
  }

  static std::string code(const HttpsResponse& r) {
    boost::system::error_code ec;
    const auto json = boost::json::parse(r.body, ec);
    if (ec || !json.is_object() || !json.as_object().contains("code")) return "(none: " + r.body + ")";
    return std::string(json.at("code").as_string());
  }

  // The last record of `flow`, as the privacy officer of any party in it would see it.
  std::optional<LoggedExchange> lastRecord(const std::string& flow, const std::string& party) {
    ExchangeQuery q;
    q.organisation_oin = config_.findPartyById(party)->oin.str();
    q.flow = flow;
    auto found = server_->exchangeLog().findExchanges(q);
    if (found.empty()) return std::nullopt;
    return found.back();
  }

  std::vector<std::string> received(const std::string& party) const {
    std::vector<std::string> out;
    const auto dir = dir_.path() / "received" / party;
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().filename().string()[0] != '.') out.push_back(slurp(e.path()));
    }
    return out;
  }

  std::string toeslagenStatus(const std::string& bsn, const std::string& permit, int brp_days_ago) {
    ToeslagenStatusMessage m;
    m.bsn = bsn;
    m.permit_date = permit;
    m.brp_registered_on = formatIsoDate(addPeriod(todayUtc(), {0, 0, -brp_days_ago}));
    m.huurtoeslag = ToeslagStatus{formatIsoDate(addPeriod(todayUtc(), {0, 0, -brp_days_ago})),
                                  "coa-toeslagenservicepunt", "in-behandeling", {}, {}, {}, {}};
    return toeslagenStatusXml(m);
  }

  std::unique_ptr<DuoSimulator> duo_;
  std::unique_ptr<GemeenteSimulator> amsterdam_;
  std::unique_ptr<GemeenteSimulator> belastingdienst_;
};

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
      {"flow-not-allowed", 403, [&] { return askDuo("taalschool-a", kCandidate); },
       "duo.inburgeringsstatus", "taalschool-a"},
      {"purpose-mismatch", 403, [&] { return askDuo("gemeente-0363", kCandidate, "elip"); },
       "duo.inburgeringsstatus", "gemeente-0363"},
      {"no-koppeling", 403, [&] { return askDuo("gemeente-0518", kCandidate); },
       "duo.inburgeringsstatus", "gemeente-0518"},
      {"law-regime", 403, [&] { return askDuo("gemeente-0363", kOldLaw); },
       "duo.inburgeringsstatus", "gemeente-0363"},
      {"no-agreement", 403,
       [&] {
         return call("taalschool-b", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip",
                     aanmelding, {{"X-Ontvanger", "gemeente-0363"}});
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
                  .registerKoppeling({SubjectKey::Kind::kBsn, unknown},
                                     config_.findPartyById("gemeente-0363")->oin, "0363",
                                     addPeriod(todayUtc(), {0, -1, 0}), "test://koppeling")
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
  EXPECT_EQ(code(call("taalschool-a", "GET", "/v1/aantallen/duo.elip-signaal", "elip")),
            "flow-not-allowed");
}

TEST_F(ChainFlowsTest, AttendanceIsFlaggedByTheGatewaysNormAndRemarksNeedConsent) {
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  pupil.lessons_planned = 40;
  pupil.lessons_attended = 31;  // 77.5 %
  pupil.remarks = "zorgen over thuissituatie";
  const HttpsResponse r = call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip",
                               aanwezigheidJson(pupil, *parseIsoDate("2026-09-01"),
                                                *parseIsoDate("2026-10-31")));
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
                  .grantConsent({{SubjectKey::Kind::kBsn, kCandidate}, "toeslagaanvraag", toeslagen.oin,
                                 "test://machtiging", addPeriod(todayUtc(), {0, 0, -1}), std::nullopt})
                  .ok);
  HttpsResponse r = call("coa", "POST", "/v1/berichten/coa.toeslagaanvraag", "toeslagaanvraag",
                         syntheticToeslagaanvraag(kCandidate, "2026-11-01"),
                         {{"X-Ontvanger", "toeslagen"}});
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
                  .grantConsent({{SubjectKey::Kind::kBsn, kOldLaw}, "ontzorgen",
                                 config_.findPartyById("gemeente-0363")->oin, "test://toestemming",
                                 addPeriod(todayUtc(), {0, 0, -1}), std::nullopt})
                  .ok);
  r = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
           toeslagenStatus(kOldLaw, "2020-05-01", 10));
  EXPECT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 2; }));
}

}  // namespace
}  // namespace ketenpoort::testing
