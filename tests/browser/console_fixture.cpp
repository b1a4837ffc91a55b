// A real gateway with known data for the console's browser tests (tests/browser/run):
// a development PKI in the given directory, the gateway on free loopback ports, COA's
// synthetic klantprofielen pushed to Amsterdam (0363) and 's-Gravenhage (0518) over
// mTLS, some with a medical section, a consent granted; each officer's and a gemeente's
// certificate as PKCS#12. Prints one JSON line with what the tests need (ports, files,
// passwords, the BSNs of two persons and the medical values that must never show), then
// runs until its standard input closes (the test is done) or a signal, and drains.
//
// All persons are synthetic (SyntheticCoa: elfproef BSNs of no real person).

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "adapters/standard_adapters.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {
namespace {

constexpr int kProfiles = 160;

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return "";
  const auto end = text.find(close, start + open.size());
  return end == std::string::npos ? "" : text.substr(start + open.size(), end - start - open.size());
}

int run(const std::filesystem::path& workdir) {
  DemoEnvironment env = createDemoEnvironment(workdir, DemoPorts{0, 0, 0});
  env.config.limits.threads = 2;
  GatewayConfig config = env.config;
  GatewayServer server(std::move(config), standardAdapters(env.config));
  server.start(/*handle_signals=*/true);

  HttpsClientOptions coa{"127.0.0.1",      server.exchangePort(),   env.pkiDir() / "ca.pem", env.certificateOf("coa"),
                         env.keyOf("coa"), std::chrono::seconds(10)};
  HttpsClient client(coa);
  SyntheticCoa synthetic(20261202, {"0363", "0518"});
  std::map<std::string, std::string> person;  // gemeente → a BSN with a medical section
  std::set<std::string> medical_values;
  std::map<std::string, int> accepted;
  for (int i = 0; i < kProfiles; ++i) {
    const SyntheticProfile p = synthetic.next();
    const auto result = client.request("POST", "/v1/berichten/" + p.flow,
                                       {{"Content-Type", "application/xml"},
                                        {"X-Doelbinding", "regie-inburgering"},
                                        {"X-Transaction-Id", newUuidV7()}},
                                       p.xml);
    const auto* response = std::get_if<HttpsResponse>(&result);
    if (!response || response->status != 202) continue;
    ++accepted[p.gemeente_cbs];
    if (p.has_medical) {
      person.emplace(p.gemeente_cbs, p.bsn);
      medical_values.insert(between(p.xml, "<diagnose>", "</diagnose>"));
      medical_values.insert(between(p.xml, "<huisarts>", "</huisarts>"));
    }
  }
  if (!person.contains("0363") || !person.contains("0518")) {
    std::cerr << "console fixture: no person with a medical section for both gemeenten\n";
    return 1;
  }
  const Party* amsterdam = env.config.findPartyById("gemeente-0363");
  const auto consent = server.registries().grantConsent({{SubjectKey::Kind::kBsn, person["0363"]},
                                                         "ontzorgen",
                                                         amsterdam->oin,
                                                         "TOESTEMMING-2026-0042",
                                                         *parseIsoDate("2026-11-01"),
                                                         std::nullopt});
  if (!consent.ok) {
    std::cerr << "console fixture: cannot grant the consent\n";
    return 1;
  }

  boost::json::object out;
  out["audit_port"] = server.auditPort();
  out["ca"] = (env.pkiDir() / "ca.pem").string();
  boost::json::object bundles;
  for (const char* id : {"fg-0363", "fg-0518", "gemeente-0363"}) {
    const OfficerBundle bundle = writeOfficerPkcs12(env, id);
    bundles[id] = boost::json::object{{"file", bundle.file.string()}, {"password", bundle.password}};
  }
  out["certificates"] = std::move(bundles);
  out["bsn_0363"] = person["0363"];
  out["bsn_0518"] = person["0518"];
  out["accepted_0363"] = accepted["0363"];
  out["accepted_0518"] = accepted["0518"];
  boost::json::array values;
  for (const auto& v : medical_values) {
    if (!v.empty()) values.emplace_back(v);
  }
  out["medical_values"] = std::move(values);
  std::cout << boost::json::serialize(out) << std::endl;

  // Until the test closes our standard input (or a signal drains the server).
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.drain();
  return server.wait() ? 0 : 1;
}

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: console_fixture WORKDIR\n";
    return 2;
  }
  try {
    return ketenpoort::run(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "console fixture: " << e.what() << "\n";
    return 1;
  }
}
