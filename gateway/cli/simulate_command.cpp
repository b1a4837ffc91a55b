#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/duo/duo_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/taalschool/taalschool_simulator.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "gateway/cli/commands.hpp"

namespace ketenpoort::cli {

namespace {

constexpr const char* kSimulateUsage =
    "usage:\n"
    "  ketenpoort simulate gemeente --listen PORT --party ID --out DIR [--pki DIR]\n"
    "                               [--fail-rate 0.3] [--delay-ms N]\n"
    "      a gemeente's receiver: stores each delivery as DIR/<transaction-id>.json\n"
    "  ketenpoort simulate coa --gateway https://HOST:PORT --count N [--pki DIR]\n"
    "                          [--party coa] [--seed S] [--concurrency C]\n"
    "      pushes N synthetic COA profiles\n"
    "  ketenpoort simulate duo --listen PORT [--pki DIR] [--gemeente 0363,0518] [--seed S]\n"
    "                          [--delay-ms N]\n"
    "      DUO's register: answers the gateway's status questions and ELIP overviews for a\n"
    "      synthetic register (listed at start: law, status, loan used, deadline)\n"
    "  ketenpoort simulate taalschool --gateway https://HOST:PORT --party ID --bsn B[,B…]\n"
    "                                 [--gemeente PARTY] [--attended N --planned N] [--remarks TEXT]\n"
    "      a language school: ELIP registration, then attendance, for each BSN\n"
    "  ketenpoort simulate toeslagen --listen PORT --out DIR [--pki DIR]\n"
    "      the Belastingdienst's intake: stores each toeslagaanvraag as DIR/<transaction-id>.xml\n"
    "  --pki is the demo's pki directory (default: pki); it holds ca.pem and <party>.pem/.key\n";

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void onStopSignal(int) { stop_requested = 1; }

std::optional<std::uint16_t> portOf(const std::string& text) {
  try {
    const int port = std::stoi(text);
    if (port > 0 && port <= 65535) return static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    const auto comma = text.find(',', from);
    out.push_back(text.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// Runs `simulator` until SIGINT/SIGTERM.
template <typename Simulator>
void runUntilStopped(Simulator& simulator) {
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  simulator.stop();
}

int simulateDuo(const Args& rest) {
  const auto unknown = unknownFlags(rest, {"--listen", "--pki", "--gemeente", "--seed", "--delay-ms"}, {});
  const auto port = portOf(flagValue(rest, "--listen").value_or(""));
  if (!unknown.empty() || !port) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const std::filesystem::path pki = flagValue(rest, "--pki").value_or("pki");
  DuoSimulatorOptions o;
  o.receiver.port = *port;
  o.receiver.tls = {pki / "ca.pem", pki / "duo.pem", pki / "duo.key"};
  try {
    o.delay = std::chrono::milliseconds(std::stoi(flagValue(rest, "--delay-ms").value_or("0")));
    o.persons = syntheticDuoRegister(commaList(flagValue(rest, "--gemeente").value_or("0363,0518")),
                                     std::stoull(flagValue(rest, "--seed").value_or("2026")), todayUtc());
  } catch (const std::exception&) {
    std::cerr << "--delay-ms and --seed must be whole numbers\n";
    return 2;
  }
  try {
    DuoSimulator simulator(o, "");
    simulator.start();
    std::printf(
        "DUO register answering on https://127.0.0.1:%u (/duo/inburgeringsstatus, "
        "/duo/elip-overzicht)\n",
        simulator.port());
    // Synthetic persons only: printing their numbers is how a tester picks whom to ask.
    for (const DuoPerson& p : o.persons) {
      std::printf("  %s  gemeente %s  %s  %-10s  loan used %s  term ends %s\n", p.bsn.c_str(), p.gemeente_cbs.c_str(),
                  p.law.c_str(), p.status.c_str(), p.loan_used_eur.c_str(), p.termijn_end.c_str());
    }
    std::fflush(stdout);
    runUntilStopped(simulator);
    std::printf("answered %llu questions\n", static_cast<unsigned long long>(simulator.questions()));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort simulate duo: " << e.what() << "\n";
    return 1;
  }
}

int simulateTaalschool(const Args& rest) {
  const auto unknown = unknownFlags(
      rest, {"--gateway", "--party", "--bsn", "--pki", "--gemeente", "--attended", "--planned", "--remarks"}, {});
  const auto url = parseHttpsUrl(flagValue(rest, "--gateway").value_or(""));
  const auto party = flagValue(rest, "--party");
  const auto bsns = flagValue(rest, "--bsn");
  if (!unknown.empty() || !url || !party || !bsns) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const std::filesystem::path pki = flagValue(rest, "--pki").value_or("pki");
  TaalschoolSimulatorOptions o;
  o.gateway = {
      url->host, url->port, pki / "ca.pem", pki / (*party + ".pem"), pki / (*party + ".key"), std::chrono::seconds(10)};
  o.gemeente = flagValue(rest, "--gemeente").value_or("");
  o.period_end = todayUtc();
  o.period_start = addPeriod(o.period_end, {0, -2, 0});
  for (const std::string& bsn : commaList(*bsns)) {
    TaalschoolPupil pupil;
    pupil.bsn = bsn;
    try {
      pupil.lessons_planned = std::stoi(flagValue(rest, "--planned").value_or("40"));
      pupil.lessons_attended = std::stoi(flagValue(rest, "--attended").value_or("34"));
    } catch (const std::exception&) {
      std::cerr << "--planned and --attended must be whole numbers\n";
      return 2;
    }
    pupil.remarks = flagValue(rest, "--remarks").value_or("");
    o.pupils.push_back(pupil);
  }
  try {
    std::size_t accepted = 0;
    for (const TaalschoolPush& p : runTaalschoolSimulator(o)) {
      std::printf("  %-28s %u %s\n", p.flow.c_str(), p.status, p.code.c_str());
      if (p.status == 202) ++accepted;
    }
    std::printf("%zu of %zu pushes accepted\n", accepted, o.pupils.size() * 2);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort simulate taalschool: " << e.what() << "\n";
    return 1;
  }
}

int simulateToeslagen(const Args& rest) {
  const auto unknown = unknownFlags(rest, {"--listen", "--out", "--pki"}, {});
  const auto port = portOf(flagValue(rest, "--listen").value_or(""));
  const auto out = flagValue(rest, "--out");
  if (!unknown.empty() || !port || !out) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const std::filesystem::path pki = flagValue(rest, "--pki").value_or("pki");
  GemeenteSimulatorOptions o;
  o.receiver.port = *port;
  o.receiver.tls = {pki / "ca.pem", pki / "toeslagen.pem", pki / "toeslagen.key"};
  o.out_dir = *out;
  o.file_extension = ".xml";
  o.check = checkToeslagaanvraag;
  try {
    GemeenteSimulator simulator(o);
    simulator.start();
    std::printf("Belastingdienst/Toeslagen receiving aanvragen on https://127.0.0.1:%u, storing in %s\n",
                simulator.port(), out->c_str());
    std::fflush(stdout);
    runUntilStopped(simulator);
    std::printf("stored %llu aanvragen\n", static_cast<unsigned long long>(simulator.stored()));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort simulate toeslagen: " << e.what() << "\n";
    return 1;
  }
}

int simulateGemeente(const Args& rest) {
  const auto unknown = unknownFlags(rest, {"--listen", "--party", "--out", "--pki", "--fail-rate", "--delay-ms"}, {});
  const auto listen = flagValue(rest, "--listen");
  const auto party = flagValue(rest, "--party");
  const auto out = flagValue(rest, "--out");
  if (!unknown.empty() || !listen || !party || !out) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const std::filesystem::path pki = flagValue(rest, "--pki").value_or("pki");
  GemeenteSimulatorOptions o;
  try {
    const int port = std::stoi(*listen);
    if (port <= 0 || port > 65535) throw std::invalid_argument("port");
    o.receiver.port = static_cast<std::uint16_t>(port);
    o.fail_rate = std::stod(flagValue(rest, "--fail-rate").value_or("0"));
    o.delay = std::chrono::milliseconds(std::stoi(flagValue(rest, "--delay-ms").value_or("0")));
    if (o.fail_rate < 0 || o.fail_rate > 1 || o.delay.count() < 0) throw std::invalid_argument("range");
  } catch (const std::exception&) {
    std::cerr << "--listen must be a port, --fail-rate a number 0..1, --delay-ms a whole number\n";
    return 2;
  }
  o.receiver.tls = {pki / "ca.pem", pki / (*party + ".pem"), pki / (*party + ".key")};
  o.out_dir = *out;
  o.receiver.threads = 4;
  try {
    GemeenteSimulator simulator(o);
    simulator.start();
    std::printf("gemeente %s receiving on https://127.0.0.1:%u, storing in %s\n", party->c_str(), simulator.port(),
                out->c_str());
    std::fflush(stdout);
    runUntilStopped(simulator);
    std::printf("stored %llu, duplicates dropped %llu, failed on purpose %llu\n",
                static_cast<unsigned long long>(simulator.stored()),
                static_cast<unsigned long long>(simulator.duplicates()),
                static_cast<unsigned long long>(simulator.failedOnPurpose()));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort simulate gemeente: " << e.what() << "\n";
    return 1;
  }
}

int simulateCoa(const Args& rest) {
  const auto unknown = unknownFlags(rest, {"--gateway", "--count", "--pki", "--party", "--seed", "--concurrency"}, {});
  const auto gateway = flagValue(rest, "--gateway");
  const auto count = flagValue(rest, "--count");
  const auto url = gateway ? parseHttpsUrl(*gateway) : std::nullopt;
  if (!unknown.empty() || !url || !count) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const std::filesystem::path pki = flagValue(rest, "--pki").value_or("pki");
  const std::string party = flagValue(rest, "--party").value_or("coa");
  CoaSimulatorOptions o;
  try {
    o.count = std::stoul(*count);
    o.seed = std::stoull(flagValue(rest, "--seed").value_or("2026"));
    o.concurrency = static_cast<unsigned>(std::stoul(flagValue(rest, "--concurrency").value_or("4")));
  } catch (const std::exception&) {
    std::cerr << "--count, --seed and --concurrency must be whole numbers\n";
    return 2;
  }
  o.gateway = {
      url->host, url->port, pki / "ca.pem", pki / (party + ".pem"), pki / (party + ".key"), std::chrono::seconds(10)};
  try {
    const CoaSimulatorSummary s = runCoaSimulator(o);
    std::printf("pushed %zu profiles: %zu accepted (%zu with a medical section), %zu unanswered, %zu re-sent\n",
                o.count, s.accepted, s.with_medical_section, s.unanswered, s.resent);
    for (const auto& [code, n] : s.refused) std::printf("  refused %-20s %zu\n", code.c_str(), n);
    return s.unanswered == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort simulate coa: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int simulateCommand(const Args& args) {
  if (args.empty()) {
    std::cerr << kSimulateUsage;
    return 2;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "gemeente") return simulateGemeente(rest);
  if (args[0] == "coa") return simulateCoa(rest);
  if (args[0] == "duo") return simulateDuo(rest);
  if (args[0] == "taalschool") return simulateTaalschool(rest);
  if (args[0] == "toeslagen") return simulateToeslagen(rest);
  std::cerr << "ketenpoort simulate: unknown system \"" << args[0] << "\"\n" << kSimulateUsage;
  return 2;
}

}  // namespace ketenpoort::cli
