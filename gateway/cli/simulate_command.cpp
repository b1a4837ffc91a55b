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

constexpr std::string_view kSimulateUsage =
    "usage: ketenpoort simulate gemeente --listen PORT --party ID --out DIR [--fail-rate R] [--delay-ms N]\n"
    "       ketenpoort simulate toeslagen --listen PORT --out DIR\n"
    "       ketenpoort simulate coa --gateway https://HOST:PORT --count N [--party ID] [--seed S] [--concurrency C]\n"
    "       ketenpoort simulate duo --listen PORT [--gemeente 0363,0518] [--seed S] [--delay-ms N]\n"
    "       ketenpoort simulate taalschool --gateway https://HOST:PORT --party ID --bsn B[,B...] [--gemeente ID]\n"
    "                                      [--attended N] [--planned N] [--remarks TEXT]\n"
    "each takes --pki DIR (default pki: ca.pem, <party>.pem/.key); man ketenpoort says more\n";

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void onStopSignal(int) { stop_requested = 1; }

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

// The TLS files of `party` in the demo's pki directory.
TlsFiles tlsOf(const Flags& flags, const std::string& party) {
  const std::filesystem::path pki = flags.value("--pki", "pki");
  return {pki / "ca.pem", pki / (party + ".pem"), pki / (party + ".key")};
}

HttpsClientOptions clientOf(const Flags& flags, const std::string& party) {
  const auto url = parseHttpsUrl(flags.required("--gateway"));
  if (!url) throw UsageError("--gateway must be an https:// address");
  const TlsFiles tls = tlsOf(flags, party);
  return {url->host, url->port, tls.ca_bundle, tls.certificate, tls.private_key, std::chrono::seconds(10)};
}

// Runs `simulator` until SIGINT/SIGTERM.
template <typename Simulator>
void runUntilStopped(Simulator& simulator) {
  std::fflush(stdout);
  std::signal(SIGINT, onStopSignal);
  std::signal(SIGTERM, onStopSignal);
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  simulator.stop();
}

int simulateDuo(const Args& args) {
  const Flags flags(args, {"--listen", "--pki", "--gemeente", "--seed", "--delay-ms"});
  DuoSimulatorOptions o;
  o.receiver.port = flags.port("--listen");
  o.receiver.tls = tlsOf(flags, "duo");
  o.delay = std::chrono::milliseconds(flags.number("--delay-ms", 0));
  o.persons = syntheticDuoRegister(commaList(flags.value("--gemeente", "0363,0518")),
                                   static_cast<std::uint64_t>(flags.number("--seed", 2026)), todayUtc());
  DuoSimulator simulator(o, "");
  simulator.start();
  std::printf("DUO register answering on https://127.0.0.1:%u (/duo/inburgeringsstatus, /duo/elip-overzicht)\n",
              simulator.port());
  // Synthetic persons only: printing their numbers is how a tester picks whom to ask.
  for (const DuoPerson& p : o.persons) {
    std::printf("  %s  gemeente %s  %s  %-10s  loan used %s  term ends %s\n", p.bsn.c_str(), p.gemeente_cbs.c_str(),
                p.law.c_str(), p.status.c_str(), p.loan_used_eur.c_str(), p.termijn_end.c_str());
  }
  runUntilStopped(simulator);
  std::printf("answered %llu questions\n", static_cast<unsigned long long>(simulator.questions()));
  return 0;
}

int simulateTaalschool(const Args& args) {
  const Flags flags(args,
                    {"--gateway", "--party", "--bsn", "--pki", "--gemeente", "--attended", "--planned", "--remarks"});
  TaalschoolSimulatorOptions o;
  o.gateway = clientOf(flags, flags.required("--party"));
  o.gemeente = flags.value("--gemeente", "");
  o.period_end = todayUtc();
  o.period_start = addPeriod(o.period_end, {0, -2, 0});
  for (const std::string& bsn : commaList(flags.required("--bsn"))) {
    TaalschoolPupil pupil;
    pupil.bsn = bsn;
    pupil.lessons_planned = static_cast<int>(flags.number("--planned", 40, 0, 10'000));
    pupil.lessons_attended = static_cast<int>(flags.number("--attended", 34, 0, 10'000));
    pupil.remarks = flags.value("--remarks", "");
    o.pupils.push_back(pupil);
  }
  std::size_t accepted = 0;
  for (const TaalschoolPush& p : runTaalschoolSimulator(o)) {
    std::printf("  %-28s %u %s\n", p.flow.c_str(), p.status, p.code.c_str());
    if (p.status == 202) ++accepted;
  }
  std::printf("%zu of %zu pushes accepted\n", accepted, o.pupils.size() * 2);
  return 0;
}

// A gemeente's receiver, or (`toeslagen`) the Belastingdienst's intake: both store what
// reaches them, one file per transaction.
int simulateReceiver(const Args& args, bool toeslagen) {
  const Flags flags = toeslagen ? Flags(args, {"--listen", "--out", "--pki"})
                                : Flags(args, {"--listen", "--party", "--out", "--pki", "--fail-rate", "--delay-ms"});
  const std::string party = toeslagen ? "toeslagen" : flags.required("--party");
  GemeenteSimulatorOptions o;
  o.receiver.port = flags.port("--listen");
  o.receiver.tls = tlsOf(flags, party);
  o.out_dir = flags.required("--out");
  o.fail_rate = flags.decimal("--fail-rate", 0, 0, 1);
  o.delay = std::chrono::milliseconds(flags.number("--delay-ms", 0));
  if (toeslagen) {
    o.file_extension = ".xml";
    o.check = checkToeslagaanvraag;
  } else {
    o.receiver.threads = 4;
  }
  GemeenteSimulator simulator(o);
  simulator.start();
  std::printf("%s receiving on https://127.0.0.1:%u, storing in %s\n",
              toeslagen ? "Belastingdienst/Toeslagen" : ("gemeente " + party).c_str(), simulator.port(),
              o.out_dir.c_str());
  runUntilStopped(simulator);
  std::printf("stored %llu, duplicates dropped %llu, failed on purpose %llu\n",
              static_cast<unsigned long long>(simulator.stored()),
              static_cast<unsigned long long>(simulator.duplicates()),
              static_cast<unsigned long long>(simulator.failedOnPurpose()));
  return 0;
}

int simulateCoa(const Args& args) {
  const Flags flags(args, {"--gateway", "--count", "--pki", "--party", "--seed", "--concurrency"});
  CoaSimulatorOptions o;
  flags.required("--count");
  o.count = static_cast<std::size_t>(flags.number("--count", 0));
  o.seed = static_cast<std::uint64_t>(flags.number("--seed", 2026));
  o.concurrency = static_cast<unsigned>(flags.number("--concurrency", 4, 1, 1'000));
  o.gateway = clientOf(flags, flags.value("--party", "coa"));
  const CoaSimulatorSummary s = runCoaSimulator(o);
  std::printf("pushed %zu profiles: %zu accepted (%zu with a medical section), %zu unanswered, %zu re-sent\n", o.count,
              s.accepted, s.with_medical_section, s.unanswered, s.resent);
  for (const auto& [code, n] : s.refused) std::printf("  refused %-20s %zu\n", code.c_str(), n);
  return s.unanswered == 0 ? 0 : 1;
}

}  // namespace

int simulateCommand(const Args& args) {
  return runSubcommand("simulate", kSimulateUsage, args,
                       {{"gemeente", [](const Args& a) { return simulateReceiver(a, false); }},
                        {"toeslagen", [](const Args& a) { return simulateReceiver(a, true); }},
                        {"coa", simulateCoa},
                        {"duo", simulateDuo},
                        {"taalschool", simulateTaalschool}});
}

}  // namespace ketenpoort::cli
