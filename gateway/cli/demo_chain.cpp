// The demo's walk through the whole chain (issue: DUO, ELIP, schools, toeslagen): a few
// synthetic persons, every flow, and what passed or was refused and why.
#include "gateway/cli/demo_chain.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "adapters/taalschool/taalschool_simulator.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort::cli {

namespace {

struct Caller {
  const DemoEnvironment& env;
  std::uint16_t port;

  HttpsResponse operator()(const std::string& party, const std::string& method, const std::string& target,
                           const std::string& purpose, const std::string& body = {},
                           std::vector<std::pair<std::string, std::string>> headers = {}) const {
    headers.emplace_back("X-Doelbinding", purpose);
    if (!body.empty())
      headers.emplace_back("Content-Type", body.starts_with('<') ? "application/xml" : "application/json");
    auto result = httpsRequest(demoClient(env, party, port), method, target, headers, body);
    if (auto* error = std::get_if<std::string>(&result)) return HttpsResponse{0, {}, *error};
    return std::get<HttpsResponse>(result);
  }
};

// A query names its person in the body (a BSN never goes in a URL).
std::string bsnBody(const std::string& bsn) { return boost::json::serialize(boost::json::object{{"bsn", bsn}}); }

std::string problemCode(const HttpsResponse& r) {
  boost::system::error_code ec;
  const auto json = boost::json::parse(r.body, ec);
  if (ec || !json.is_object() || !json.as_object().contains("code")) return {};
  return std::string(json.at("code").as_string());
}

}  // namespace

HttpsClientOptions demoClient(const DemoEnvironment& env, const std::string& party_id, std::uint16_t port) {
  const TlsFiles tls = env.tlsOf(party_id);
  return {"127.0.0.1", port, tls.ca_bundle, tls.certificate, tls.private_key, std::chrono::seconds(10)};
}

ChainPersons chainPersons(const CivilDate& today) {
  ChainPersons p;
  // A fixed seed on purpose: the demo's synthetic persons are the same every run.
  std::mt19937_64 rng(20261122);  // NOLINT(cert-msc32-c,cert-msc51-cpp)
  p.amina = randomSyntheticBsn(rng);
  p.elip = randomSyntheticBsn(rng);
  p.old_law = randomSyntheticBsn(rng);
  const auto date = [&](int months) { return formatIsoDate(addPeriod(today, {0, months, 0})); };
  DuoPerson amina;
  amina.bsn = p.amina;
  amina.gemeente_cbs = "0363";
  amina.termijn_start = date(-2);
  amina.termijn_end = date(34);
  amina.loan_used_eur = "450.00";
  DuoPerson elip = amina;
  elip.bsn = p.elip;
  elip.termijn_start = date(-31);
  elip.termijn_end = date(5);
  elip.loan_used_eur = "8350.00";
  elip.exams = {{"lezen", 2, "niet-behaald"}, {"spreken", 1, "behaald"}, {"knm", 1, "behaald"}};
  elip.hours = 590;
  elip.hour_statements = true;
  DuoPerson old_law = elip;
  old_law.bsn = p.old_law;
  old_law.law = "wi2013";
  p.register_ = {amina, elip, old_law};
  return p;
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
ChainOutcome runChainScenario(const DemoEnvironment& env, GatewayServer& server, const ChainPersons& persons) {
  const Caller call{env, server.exchangePort()};
  const CivilDate today = todayUtc();
  ChainOutcome outcome;
  bool& ok = outcome.as_expected;
  std::vector<ChainStep>& steps = outcome.steps;
  const auto step = [&](const char* flow, std::string what, const HttpsResponse& r, unsigned expected_status,
                        const char* expected_code = "") {
    ChainStep s{flow, std::move(what), r.status, problemCode(r)};
    const bool as_expected = r.status == expected_status && s.code == expected_code;
    ok = ok && as_expected;
    std::printf("  %-4s %-27s %-52s %u %s\n", as_expected ? "ok" : "FAIL", flow, s.what.c_str(), s.status,
                s.code.c_str());
    if (s.status == 202) {
      ++(s.flow == "coa.toeslagaanvraag" ? outcome.queued_for_toeslagen : outcome.queued_for_gemeenten);
    }
    steps.push_back(std::move(s));
    return r;
  };
  const std::shared_ptr<const GatewayConfig> config = server.config();
  const Party& amsterdam = *config->findPartyById("gemeente-0363");
  const Party& toeslagen = *config->findPartyById("toeslagen");

  std::printf("\nThe chain for three synthetic persons (1 Wi2021 in Amsterdam, 2 ELIP candidate, 3 old-law)\n");
  // 1 and 2: COA's klantprofiel teaches the gateway their koppeling to Amsterdam.
  SyntheticCoa coa(99, {"0363"});
  for (const std::string* bsn : {&persons.amina, &persons.elip}) {
    SyntheticProfile profile = coa.next();
    while (profile.flow != "coa.klantprofiel") profile = coa.next();
    std::string xml = profile.xml;
    xml.replace(xml.find(profile.bsn), profile.bsn.size(), *bsn);
    step("coa.klantprofiel", std::string("COA → Amsterdam, person ") + (bsn == &persons.amina ? "1" : "2"),
         call("coa", "POST", "/v1/berichten/coa.klantprofiel", "regie-inburgering", xml), 202);
  }
  // 3: an old-law person; Amsterdam registers the koppeling itself.
  server.registries().registerKoppeling({SubjectKey::Kind::kBsn, persons.old_law}, amsterdam.oin, "0363",
                                        addPeriod(today, {-3, 0, 0}), "demo://koppeling/oude-wet");

  // Person 1, permit to toeslagen: COA applies under the person's machtiging, the
  // Belastingdienst reports, the gateway sees no grant 43 days after BRP registration.
  server.registries().grantConsent({{SubjectKey::Kind::kBsn, persons.amina},
                                    "toeslagaanvraag",
                                    toeslagen.oin,
                                    "demo://machtiging/1",
                                    addPeriod(today, {0, 0, -50}),
                                    std::nullopt});
  step("coa.toeslagaanvraag", "COA → Belastingdienst, person 1 (medisch withheld)",
       call("coa", "POST", "/v1/berichten/coa.toeslagaanvraag", "toeslagaanvraag",
            syntheticToeslagaanvraag(persons.amina, formatIsoDate(addPeriod(today, {0, 0, -45}))),
            {{"X-Ontvanger", "toeslagen"}}),
       202);
  const auto status = [&](const std::string& bsn, const char* permit) {
    ToeslagenStatusMessage m;
    m.bsn = bsn;
    m.permit_date = permit;
    m.brp_registered_on = formatIsoDate(addPeriod(today, {0, 0, -43}));
    m.huurtoeslag = ToeslagStatus{
        formatIsoDate(addPeriod(today, {0, 0, -45})), "coa-toeslagenservicepunt", "in-behandeling", {}, {}, {}, {}};
    m.zorgtoeslag = ToeslagStatus{formatIsoDate(addPeriod(today, {0, 0, -45})),
                                  "coa-toeslagenservicepunt",
                                  "toegekend",
                                  formatIsoDate(addPeriod(today, {0, 0, -20})),
                                  "131.00",
                                  formatIsoDate(addPeriod(today, {0, 0, -43})),
                                  {}};
    return toeslagenStatusXml(m);
  };
  step("toeslagen.status", "Belastingdienst → Amsterdam, person 1 (bridging)",
       call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen", status(persons.amina, "2026-06-01")),
       202);
  step("duo.inburgeringsstatus", "Amsterdam asks DUO about person 1",
       call("gemeente-0363", "POST", "/v1/bevragingen/duo.inburgeringsstatus", "regie-inburgering",
            bsnBody(persons.amina)),
       200);

  // Person 2: ELIP.
  const HttpsResponse run = step("duo.elip-signaal", "Amsterdam: this month's ELIP signals",
                                 call("gemeente-0363", "POST", "/v1/signalen/duo.elip-signaal", "elip"), 200);
  std::printf("       %s\n", run.body.c_str());
  boost::system::error_code ec;
  const auto run_json = boost::json::parse(run.body, ec);
  if (!ec && run_json.is_object() && run_json.as_object().contains("signalen_verstuurd")) {
    outcome.queued_for_gemeenten += static_cast<std::size_t>(run_json.at("signalen_verstuurd").to_number<double>());
  }
  TaalschoolPupil pupil;
  pupil.bsn = persons.elip;
  pupil.lessons_planned = 40;
  pupil.lessons_attended = 29;
  pupil.remarks = "Mist lessen door zorg voor een ziek kind.";
  step("taalschool.elip-aanmelding", "Taalschool A registers person 2 (remark withheld)",
       call("taalschool-a", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip", elipAanmeldingJson(pupil)),
       202);
  step("taalschool.aanwezigheid", "Taalschool A: person 2 at 72.5 %, under the norm",
       call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip",
            aanwezigheidJson(pupil, addPeriod(today, {0, -2, 0}), today)),
       202);
  step("taalschool.elip-aanmelding", "Taalschool B (no agreement) registers person 2",
       call("taalschool-b", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip", elipAanmeldingJson(pupil),
            {{"X-Ontvanger", "gemeente-0363"}}),
       403, "no-agreement");

  // Person 3: old law.
  step("duo.inburgeringsstatus", "Amsterdam asks DUO about person 3",
       call("gemeente-0363", "POST", "/v1/bevragingen/duo.inburgeringsstatus", "regie-inburgering",
            bsnBody(persons.old_law)),
       403, "law-regime");
  const HttpsResponse counts = step("duo.elip-signaal", "Amsterdam: old-law ELIP counts only",
                                    call("gemeente-0363", "GET", "/v1/aantallen/duo.elip-signaal", "elip"), 200);
  std::printf("       %s\n", counts.body.c_str());
  step("toeslagen.status", "Belastingdienst → Amsterdam, person 3, no consent",
       call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen", status(persons.old_law, "2020-09-01")),
       403, "no-consent");
  // The gemeente obtained the consent at the brede intake and registers it itself.
  const std::string consent = boost::json::serialize(
      boost::json::object{{"bsn", persons.old_law}, {"doelbinding", "ontzorgen"}, {"bewijs", "demo-zaak-3/intake"}});
  step("ketenpoort.consent", "Amsterdam registers person 3's consent",
       call("gemeente-0363", "POST", "/v1/toestemmingen", "ontzorgen", consent), 201);
  step("toeslagen.status", "… the same after person 3's consent",
       call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen", status(persons.old_law, "2020-09-01")),
       202);

  // COA moves person 1 to 's-Gravenhage; a move dated before the koppeling in force changes nothing.
  const auto herkoppeling = [&persons](const std::string& date) {
    return "<herkoppeling><bsn>" + persons.amina + "</bsn><gemeentecode>0518</gemeentecode><koppeling_datum>" + date +
           "</koppeling_datum><reden>gezinshereniging</reden></herkoppeling>";
  };
  step("coa.herkoppeling", "COA moves person 1 to 's-Gravenhage, before it began",
       call("coa", "POST", "/v1/berichten/coa.herkoppeling", "regie-inburgering", herkoppeling("2000-01-01")), 409,
       "koppeling-conflict");
  step("coa.herkoppeling", "COA moves person 1 to 's-Gravenhage today (reden withheld)",
       call("coa", "POST", "/v1/berichten/coa.herkoppeling", "regie-inburgering", herkoppeling(formatIsoDate(today))),
       202);
  return outcome;
}

}  // namespace ketenpoort::cli
