#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/json/parse.hpp>

#include <map>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "adapters/duo/duo_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/standard_adapters.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "adapters/zgw/zgw_simulator.hpp"
#include "gateway/audit/audit_queries.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/cli/demo_chain.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/runtime/gateway_server.hpp"

namespace ketenpoort::cli {
namespace {

// Calls GET /v1/whoami as `party_id` and says whether the gateway recognised it.
bool checkParty(const DemoEnvironment& env, std::uint16_t port, const std::string& party_id,
                const std::string& expected_role) {
  const auto result = httpsRequest(demoClient(env, party_id, port), "GET", "/v1/whoami");
  if (const auto* error = std::get_if<std::string>(&result)) {
    std::printf("  %-15s FAILED: %s\n", party_id.c_str(), error->c_str());
    return false;
  }
  const auto& response = std::get<HttpsResponse>(result);
  boost::system::error_code ec;
  const auto json = boost::json::parse(response.body, ec);
  const bool ok = response.status == 200 && !ec && json.is_object() && json.as_object().contains("id") &&
                  json.at("id") == party_id.c_str() && json.at("role") == expected_role.c_str();
  std::printf("  %-15s %s %s\n", party_id.c_str(), ok ? "ok  " : "FAIL", response.body.c_str());
  return ok;
}

bool checkRefusedWithoutCertificate(const DemoEnvironment& env, std::uint16_t port) {
  HttpsClientOptions anonymous = demoClient(env, "coa", port);
  anonymous.certificate.clear();
  anonymous.private_key.clear();
  const auto result = httpsRequest(anonymous, "GET", "/v1/whoami");
  const bool refused = std::holds_alternative<std::string>(result);
  std::printf("  %-15s %s\n", "(no cert)", refused ? "ok   refused during the TLS handshake" : "FAIL: was answered");
  return refused;
}

constexpr int kDemoProfiles = 25;

// A person gekoppeld to Amsterdam pushed towards Den Haag, and a broken document: both
// refused, both in the log.
void pushRefusedExamples(const DemoEnvironment& env, std::uint16_t port) {
  HttpsClient coa(demoClient(env, "coa", port));
  SyntheticCoa generator(7, {"0363"});
  SyntheticProfile profile = generator.next();
  while (profile.flow != "coa.klantprofiel") profile = generator.next();
  const std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/xml"},
                                                                 {"X-Doelbinding", "regie-inburgering"}};
  auto to_den_haag = headers;
  to_den_haag.emplace_back("X-Ontvanger", "gemeente-0518");
  coa.request("POST", "/v1/berichten/coa.klantprofiel", to_den_haag, profile.xml);
  coa.request("POST", "/v1/berichten/coa.klantprofiel", headers, "<klantprofiel versie=\"1\"><persoon>");
}

void printSummary(GatewayServer& server, const DemoEnvironment& env, const CoaSimulatorSummary& pushed,
                  std::uint64_t stored, const ChainOutcome& chain) {
  ExchangeQuery query;
  query.organisation_oin = server.config()->findPartyById("coa")->oin.str();
  const auto exchanges = server.exchangeLog().findExchanges(query);
  std::printf("\nSummary\n");
  std::printf("  pushed by COA          %zu accepted (%zu had a medical section)\n", pushed.accepted,
              pushed.with_medical_section);
  std::printf(
      "  delivered to gemeenten %llu: at their endpoints (%s/received/<party-id>/), and Den Haag's\n"
      "                         profiles into its case system (below)\n",
      static_cast<unsigned long long>(stored), env.workdir.c_str());
  std::map<std::string, std::uint64_t> withheld;
  for (const auto& [key, count] : countWithheld(exchanges)) withheld[std::get<2>(key)] += count;
  std::printf("  fields withheld        ");
  for (const auto& [reason, count] : withheld)
    std::printf("%s %llu  ", reason.c_str(), static_cast<unsigned long long>(count));
  std::printf("\n  refusals               ");
  for (const auto& [key, count] : countRefusals(exchanges)) {
    std::printf("%s %llu  ", std::get<1>(key).c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("\n\n  The chain, flow by flow (passed / refused with reason):\n");
  std::map<std::string, std::pair<int, std::map<std::string, int>>> by_flow;
  for (const ChainStep& s : chain.steps) {
    auto& [passed, refused] = by_flow[s.flow];
    if (s.code.empty()) {
      ++passed;
    } else {
      ++refused[s.code];
    }
  }
  for (const auto& [flow, counts] : by_flow) {
    std::printf("    %-28s passed %d", flow.c_str(), counts.first);
    for (const auto& [code, n] : counts.second) std::printf("  refused %s %d", code.c_str(), n);
    std::printf("\n");
  }
  const std::string config = env.config_file.string();
  std::printf(
      "  exchange log           %s (%llu records)\n\nTry next:\n"
      "  build/ketenpoort audit exchanges --config %s --as fg-0363\n"
      "  build/ketenpoort audit withheld --config %s --as fg-0363\n"
      "  build/ketenpoort audit refusals --config %s --as fg-0363\n"
      "  build/ketenpoort audit deliveries --config %s --as fg-0363 --state dead-letter\n"
      "  build/ketenpoort log head --config %s > witness.json   (keep it elsewhere)\n"
      "  build/ketenpoort log verify --db %s --witness witness.json\n\n",
      server.config()->storage_path.c_str(), static_cast<unsigned long long>(server.exchangeLog().lastSequence()),
      config.c_str(), config.c_str(), config.c_str(), config.c_str(), config.c_str(),
      server.config()->storage_path.c_str());
}

// Zaken the ZGW test server holds whole: with the person and both documents linked.
std::size_t wholeZaken(const ZgwSimulator& zgw) {
  std::size_t n = 0;
  for (const auto& z : zgw.zaken()) n += z.rollen.size() == 1 && z.documents.size() == 2 ? 1 : 0;
  return n;
}

// What Den Haag's case system holds: each zaak with its person (the BSN masked here) and
// its documents; the readable ones written out to open in a browser.
void printZaken(const ZgwSimulator& zgw, const DemoEnvironment& env) {
  const auto zaken = zgw.zaken();
  const auto dir = env.workdir / "received" / "gemeente-0518-zaaksysteem";
  std::filesystem::create_directories(dir);
  std::printf("Den Haag's case system (the ZGW test server, https://127.0.0.1:%u, as Open Zaak behaves)\n", zgw.port());
  std::printf("  %zu zaken, each with the person as betrokkene and two documents:\n", zaken.size());
  const auto field = [](const boost::json::object& o, const char* name) {
    const auto* v = o.if_contains(name);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  for (const auto& z : zaken) {
    std::string person = "?";
    if (!z.rollen.empty()) {
      const auto* id = z.rollen.front().if_contains("betrokkeneIdentificatie");
      if (id != nullptr && id->is_object()) {
        const std::string bsn = field(id->as_object(), "inpBsn");
        person = bsn.empty() ? "V-nummer " + field(id->as_object(), "anpIdentificatie") : "BSN " + maskBsns(bsn);
      }
    }
    std::printf("  %s  %-24s %s, %zu documenten", field(z.zaak, "identificatie").c_str(),
                field(z.zaak, "omschrijving").c_str(), person.c_str(), z.documents.size());
    for (const auto& d : z.documents) {
      std::printf("  [%s, %zu bytes]", field(d.metadata, "formaat").c_str(), d.content.size());
      const std::string name = field(d.metadata, "identificatie");
      const bool plain =
          !name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-") == std::string::npos;
      if (plain && field(d.metadata, "formaat") == "text/html") {
        std::ofstream(dir / (name + ".html"), std::ios::binary) << d.content;
      }
    }
    std::printf("\n");
  }
  std::printf("  What a consulent reads: %s/<identificatie>-L.html\n\n", dir.c_str());
}

// The privacy officer's console: its address, and the officer's certificate as a
// PKCS#12 file to import into a browser (docs/console.md).
void printConsole(const DemoEnvironment& env, std::uint16_t audit_port) {
  const OfficerBundle bundle = writeOfficerPkcs12(env, "fg-0363");
  const std::string ca = (env.pkiDir() / "ca.pem").string();
  std::printf(
      "The privacy officer's console (while the gateway runs)\n"
      "  address    https://127.0.0.1:%u/console\n"
      "  officer    fg-0363, Functionaris gegevensbescherming Amsterdam\n"
      "  PKCS#12    %s\n"
      "  password   %s\n"
      "  Import the PKCS#12 file as your own certificate, and trust the demo CA %s for\n"
      "  websites (demo only, remove it afterwards):\n"
      "    Firefox:  Settings > Privacy & Security > Certificates > View Certificates:\n"
      "              'Your Certificates' > Import (the .p12); 'Authorities' > Import (ca.pem)\n"
      "    Chromium: Settings > Privacy and security > Security > Manage certificates,\n"
      "              or on Linux: pk12util -d sql:$HOME/.pki/nssdb -i %s\n"
      "                           certutil -d sql:$HOME/.pki/nssdb -A -n ketenpoort-demo -t C,, -i %s\n"
      "  The browser asks which certificate to present: choose fg-0363.\n\n",
      audit_port, bundle.file.c_str(), bundle.password.c_str(), ca.c_str(), bundle.file.c_str(), ca.c_str());
}

// Every run tells the chain from the start, so the data and received messages of an
// earlier run in the same workdir go first. Only a workdir an earlier demo made (its
// marker) is cleared; one that holds data the demo did not make is refused untouched.
void clearEarlierRun(const std::filesystem::path& root) {
  std::error_code ec;
  if (std::filesystem::is_empty(root / "data", ec) || ec) return;
  if (!std::filesystem::exists(root / ".ketenpoort-demo")) {
    throw UsageError((root / "data").string() + " holds data the demo did not make; give an empty or new --workdir");
  }
  std::filesystem::remove_all(root / "data", ec);
  std::filesystem::remove_all(root / "received", ec);
  if (ec) throw std::runtime_error("cannot clear the previous run's data: " + ec.message());
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
int chainDemo(const std::filesystem::path& workdir, bool keep_running) {
  clearEarlierRun(workdir);
  DemoPorts ports;
  ports.gemeente_receivers = 8501;
  ports.duo = 8511;
  ports.toeslagen = 8512;
  ports.zgw = 8521;
  const DemoEnvironment env = createDemoEnvironment(workdir, ports);
  std::ofstream(workdir / ".ketenpoort-demo")
      << "made by ketenpoort demo; its next run clears data/ and received/ here\n";
  // Load the written file back, exactly as `serve --config` would.
  ConfigLoadResult loaded = loadGatewayConfig(env.config_file);
  if (!loaded.config) {
    for (const auto& problem : loaded.problems) std::cerr << problem.str() << "\n";
    return 1;
  }
  const std::string dir = env.workdir.string();

  // Each demo gemeente's own system: a receiver storing what reaches it.
  std::vector<std::unique_ptr<GemeenteSimulator>> receivers;
  for (const Party& party : loaded.config->parties) {
    if (party.role != PartyRole::kGemeente || party.endpoints.empty()) continue;
    GemeenteSimulatorOptions o;
    o.receiver.port = parseHttpsUrl(party.endpoints.front().url)->port;
    o.receiver.tls = env.tlsOf(party.id);
    o.out_dir = env.workdir / "received" / party.id;
    receivers.push_back(std::make_unique<GemeenteSimulator>(o));
    receivers.back()->start();
  }

  // DUO's register and the Belastingdienst's intake.
  const ChainPersons persons = chainPersons(todayUtc());
  DuoSimulatorOptions duo_options;
  duo_options.receiver.port = ports.duo;
  duo_options.receiver.tls = env.tlsOf("duo");
  duo_options.persons = persons.register_;
  DuoSimulator duo(duo_options, "");
  duo.start();
  GemeenteSimulatorOptions intake;
  intake.receiver.port = ports.toeslagen;
  intake.receiver.tls = env.tlsOf("toeslagen");
  intake.out_dir = env.workdir / "received" / "toeslagen";
  intake.file_extension = ".xml";
  intake.check = checkToeslagaanvraag;
  GemeenteSimulator belastingdienst(intake);
  belastingdienst.start();
  // Den Haag's case system: the ZGW APIs, knowing the gateway as the configuration names it.
  ZgwSimulatorOptions case_system;
  case_system.receiver.port = ports.zgw;
  case_system.receiver.tls = env.tlsOf("gemeente-0518");
  for (const Party& party : loaded.config->parties) {
    for (const ZgwTarget& target : party.zgw) case_system.clients[target.client_id] = target.secret;
  }
  ZgwSimulator zgw(case_system);
  zgw.start();

  ExchangeAdapters adapters = standardAdapters(*loaded.config);
  GatewayServer server(std::move(*loaded.config), std::move(adapters));
  server.start(/*handle_signals=*/true);
  diagnosticLog().flush();

  const auto port = server.exchangePort();
  std::printf("\nketenpoort demo — gateway up in test mode\n");
  std::printf(
      "  config   %s\n  pki      %s/pki\n  exchange https://127.0.0.1:%u\n"
      "  audit    https://127.0.0.1:%u\n  ops      http://127.0.0.1:%u/metrics\n",
      env.config_file.c_str(), dir.c_str(), port, server.auditPort(), server.opsPort());
  for (const auto& r : receivers) {
    std::printf("  gemeente receiver https://127.0.0.1:%u\n", r->port());
  }
  std::printf("\nSelf-check: GET /v1/whoami as every demo party\n");
  bool ok = true;
  for (const DemoParty& p : demoParties()) {
    ok = checkParty(env, port, p.id, std::string(toString(p.role))) && ok;
  }
  ok = checkRefusedWithoutCertificate(env, port) && ok;

  // COA pushes synthetic profiles; two more pushes show refusals.
  std::printf("\nCOA pushes %d synthetic klantprofielen and nareisprofielen…\n", kDemoProfiles);
  CoaSimulatorOptions coa;
  coa.gateway = demoClient(env, "coa", port);
  coa.count = kDemoProfiles;
  coa.keep_trying = std::chrono::seconds(10);
  const CoaSimulatorSummary pushed = runCoaSimulator(coa);
  ok = ok && pushed.accepted == static_cast<std::size_t>(kDemoProfiles);
  pushRefusedExamples(env, port);
  const ChainOutcome chain = runChainScenario(env, server, persons);
  ok = ok && chain.as_expected;

  std::uint64_t stored = 0;
  waitFor(
      [&] {
        stored = 0;
        for (const auto& r : receivers) stored += r->stored();
        stored += wholeZaken(zgw);
        return stored >= pushed.accepted + chain.queued_for_gemeenten &&
               belastingdienst.stored() >= chain.queued_for_toeslagen;
      },
      std::chrono::seconds(30));
  ok = ok && stored == pushed.accepted + chain.queued_for_gemeenten &&
       belastingdienst.stored() == chain.queued_for_toeslagen && zgw.zaakCount() > 0 &&
       wholeZaken(zgw) == zgw.zaakCount();
  printSummary(server, env, pushed, stored, chain);
  printZaken(zgw, env);
  printConsole(env, server.auditPort());
  std::fflush(stdout);
  if (keep_running && ok) {
    std::printf("Running; Ctrl-C (SIGINT) or SIGTERM drains and stops the gateway.\n");
    std::fflush(stdout);
  } else {
    server.drain();
  }
  const bool drained = server.wait();
  for (auto& r : receivers) r->stop();
  duo.stop();
  belastingdienst.stop();
  zgw.stop();
  if (!ok) std::printf("The demo did not complete as expected; see above.\n");
  return ok && drained ? 0 : 1;
}

}  // namespace

int demoCommand(const Args& args) {
  return runCommand("demo",
                    "usage: ketenpoort demo --workdir DIR [--keep-running]\n"
                    "       ketenpoort demo --cluster --workdir DIR\n",
                    [&] {
                      const Flags flags(args, {"--workdir"}, {"--keep-running", "--cluster"});
                      const std::filesystem::path workdir = flags.required("--workdir");
                      return flags.has("--cluster") ? clusterDemo(workdir, 600)
                                                    : chainDemo(workdir, flags.has("--keep-running"));
                    });
}

}  // namespace ketenpoort::cli
