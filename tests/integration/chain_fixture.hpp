#pragma once

// The whole chain on loopback: a gateway with the standard adapters, DUO's register and
// the receivers of Amsterdam and the Belastingdienst simulated, three synthetic persons
// gekoppeld to Amsterdam. Shared by the chain and the hostile-input suites.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <random>
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

// Synthetic persons (elfproef BSNs drawn from a fixed seed).
inline std::string syntheticBsn(int n) {
  std::mt19937_64 rng(4242);
  std::string bsn;
  for (int i = 0; i <= n; ++i) bsn = randomSyntheticBsn(rng);
  return bsn;
}
inline const std::string kCandidate = syntheticBsn(0);  // Wi2021, ELIP candidate, gekoppeld 0363
inline const std::string kOldLaw = syntheticBsn(1);     // Wi2013, gekoppeld 0363
inline const std::string kExempted = syntheticBsn(2);   // Wi2021, exempted on medical grounds
inline const std::string kElsewhere = syntheticBsn(3);  // in Amsterdam by DUO's books, not gekoppeld

inline std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ChainFixture : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    config_.queries.timeout = std::chrono::milliseconds(400);
    config_.outbox.initial_backoff = std::chrono::milliseconds(20);
    config_.outbox.max_backoff = std::chrono::milliseconds(100);
    config_.outbox.max_attempts = 100;
    config_.outbox.delivery_timeout = std::chrono::milliseconds(500);
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

    // Amsterdam's system runs `while_amsterdam_receives_` (when set) while a delivery is under way.
    amsterdam_ = receiver("gemeente-0363", ".json", [this](std::string_view) {
      if (while_amsterdam_receives_) while_amsterdam_receives_();
      return std::string();
    });
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
    beforeStart();
    server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_), clock_);
    server_->start(false);
    const Party& amsterdam = *config_.findPartyById("gemeente-0363");
    for (const std::string& bsn : {kCandidate, kOldLaw, kExempted}) {
      ASSERT_TRUE(server_->registries()
                      .registerKoppeling({SubjectKey::Kind::kBsn, bsn}, amsterdam.oin, "0363",
                                         addPeriod(today, {0, -6, 0}), "test://koppeling")
                      .ok);
    }
  }

  // What a suite adds to the configuration before the gateway starts.
  virtual void beforeStart() {}

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
    HttpsClient client({"127.0.0.1", server_->exchangePort(), env_->pkiDir() / "ca.pem", env_->certificateOf(party),
                        env_->keyOf(party), std::chrono::seconds(10)});
    headers.emplace_back("X-Doelbinding", purpose);
    auto r = client.request(method, target, headers, body);
    EXPECT_TRUE(std::holds_alternative<HttpsResponse>(r)) << std::get<std::string>(r);
    return std::holds_alternative<HttpsResponse>(r) ? std::get<HttpsResponse>(r) : HttpsResponse{};
  }

  HttpsResponse askDuo(const std::string& party, const std::string& bsn,
                       const std::string& purpose = "regie-inburgering") {
    // The person in the body, never in the URL.
    return call(party, "POST", "/v1/bevragingen/duo.inburgeringsstatus", purpose, R"({"bsn":")" + bsn + R"("})",
                {{"Content-Type", "application/json"}});
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
                                  "coa-toeslagenservicepunt",
                                  "in-behandeling",
                                  {},
                                  {},
                                  {},
                                  {}};
    return toeslagenStatusXml(m);
  }

  std::unique_ptr<DuoSimulator> duo_;
  std::unique_ptr<GemeenteSimulator> amsterdam_;
  std::function<void()> while_amsterdam_receives_;
  std::unique_ptr<GemeenteSimulator> belastingdienst_;
};

}  // namespace ketenpoort::testing
