#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
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
    "  --pki is the demo's pki directory (default: pki); it holds ca.pem and <party>.pem/.key\n";

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void onStopSignal(int) { stop_requested = 1; }

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
    std::printf("gemeente %s receiving on https://127.0.0.1:%u, storing in %s\n", party->c_str(),
                simulator.port(), out->c_str());
    std::fflush(stdout);
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);
    while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    simulator.stop();
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
  const auto unknown =
      unknownFlags(rest, {"--gateway", "--count", "--pki", "--party", "--seed", "--concurrency"}, {});
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
  o.gateway = {url->host, url->port, pki / "ca.pem", pki / (party + ".pem"), pki / (party + ".key"),
               std::chrono::seconds(10)};
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
  std::cerr << "ketenpoort simulate: unknown system \"" << args[0] << "\"\n" << kSimulateUsage;
  return 2;
}

}  // namespace ketenpoort::cli
