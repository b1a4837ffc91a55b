// The real chain's size (issue 27): a configuration with 342 gemeenten, each with its
// privacy officer, 1,000 language schools and 2,000 agreements, COA, DUO and Toeslagen.
// How long it takes to read and check completely (as check-config and a reload do), and
// a reload of it while 32 connections push klantprofielen without pause: the reload's
// duration, the pushes' p99 answer time during reloads against outside them, and that no
// push failed.
//   build/tests/bench/chain_size_bench [--benchmark_filter=…]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "adapters/standard_adapters.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/runtime/config_check.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "tests/bench/bench_log.hpp"
#include "tests/bench/quiet_main.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

constexpr int kGemeenten = 342;
constexpr int kSchools = 1000;
constexpr int kAgreementsPerSchool = 2;
constexpr int kPushers = 32;

std::string digits(long long value, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*lld", width, value);
  return text;
}

// The demo's parties (their certificates exist) and the chain around them: synthetic
// gemeenten with CBS codes 2000 upwards, their officers, schools with two agreements each.
GatewayConfig chainSizedConfig(const DemoEnvironment& env) {
  GatewayConfig config = env.config;
  config.limits.max_connections = 4096;
  config.storage_busy_timeout = std::chrono::seconds(30);
  for (Party& p : config.parties) p.endpoints.clear();  // the postbus: no receiver needed
  std::vector<std::string> gemeenten;
  for (const Party& p : config.parties) {
    if (p.role == PartyRole::kGemeente) gemeenten.push_back(p.id);
  }
  for (int g = 0; static_cast<int>(gemeenten.size()) < kGemeenten; ++g) {
    const std::string cbs = digits(2000 + g, 4);
    const std::string id = "gemeente-" + cbs;
    config.parties.push_back({id,
                              *Oin::parse("000000992000000" + digits(10000 + g, 5)),
                              "Gemeente " + cbs,
                              PartyRole::kGemeente,
                              cbs,
                              std::nullopt,
                              {},
                              {}});
    config.parties.push_back({"fg-" + cbs,
                              *Oin::parse("000000994000000" + digits(10000 + g, 5)),
                              "FG " + cbs,
                              PartyRole::kPrivacyOfficer,
                              std::nullopt,
                              id,
                              {},
                              {}});
    gemeenten.push_back(id);
  }
  for (int s = 0; s < kSchools; ++s) {
    const std::string id = "taalschool-" + digits(s, 4);
    config.parties.push_back({id,
                              *Oin::parse("000000993000000" + digits(10000 + s, 5)),
                              "Taalschool " + digits(s, 4),
                              PartyRole::kTaalschool,
                              std::nullopt,
                              std::nullopt,
                              {},
                              {}});
    for (int a = 0; a < kAgreementsPerSchool; ++a) {
      const std::string& gemeente = gemeenten[static_cast<std::size_t>((s * kAgreementsPerSchool + a) % kGemeenten)];
      config.agreements.push_back(
          {"vwo-" + id + "-" + std::to_string(a), id, "elip", gemeente, CivilDate(std::chrono::year(2026) / 1 / 1),
           CivilDate(std::chrono::year(2028) / 12 / 31), "verwerkersovereenkomst-" + id + "-" + std::to_string(a)});
    }
  }
  return config;
}

void writeConfig(const GatewayConfig& config, const std::filesystem::path& file) {
  std::ofstream(file) << renderGatewayConfigXml(config, file.parent_path());
}

struct Chain {
  Chain() : env(createDemoEnvironment(bench::freshDir("chain-size"), DemoPorts{0, 0, 0})) {
    config = chainSizedConfig(env);
    file = env.workdir / "chain.xml";
    writeConfig(config, file);
  }
  DemoEnvironment env;
  GatewayConfig config;
  std::filesystem::path file;
};

Chain& chain() {
  static Chain shared;
  return shared;
}

void BM_ReadAndCheckTheChainsConfiguration(benchmark::State& state) {
  Chain& c = chain();
  for (auto _ : state) {
    const CheckedConfiguration checked = checkConfiguration(c.file);
    if (!checked.ok()) state.SkipWithError(checked.problems.front().str().c_str());
    benchmark::DoNotOptimize(checked.config->parties.size());
  }
  state.counters["parties"] = static_cast<double>(c.config.parties.size());
  state.counters["agreements"] = static_cast<double>(c.config.agreements.size());
}
BENCHMARK(BM_ReadAndCheckTheChainsConfiguration)->Unit(benchmark::kMillisecond)->UseRealTime();

// The n-th synthetic person's BSN: an eight-digit prefix from n with the ninth digit the
// elfproef asks (prefixes whose check digit would be 10 are skipped). Unique per n, unlike
// random draws, which collide among 20,000 and give an identity conflict that is no failure.
std::string sequentialSyntheticBsn(std::uint64_t n) {
  for (std::uint64_t prefix = 20'000'000 + n * 2;; ++prefix) {
    const std::string digits8 = std::to_string(prefix);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (9 - i) * (digits8[static_cast<std::size_t>(i)] - '0');
    if (sum % 11 < 10) return digits8 + std::to_string(sum % 11);
  }
}

// One push's answer time, and whether it overlapped a reload.
struct Answered {
  std::chrono::steady_clock::time_point began, ended;
  bool accepted = false;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

// Each iteration is one reload that applies (an agreement ends, then comes back), while
// 32 connections push. A gateway with the chain's configuration is started once.
void BM_ReloadTheChainWhile32ConnectionsPush(benchmark::State& state) {
  Chain& c = chain();
  GatewayServer server(c.config, standardAdapters(c.config));
  server.start(false, c.file);
  GatewayConfig without = c.config;
  without.agreements.pop_back();
  const std::filesystem::path with_file = c.file;
  const std::filesystem::path without_file = c.env.workdir / "chain-without.xml";
  writeConfig(without, without_file);
  std::filesystem::copy_file(c.file, c.env.workdir / "chain-with.xml",
                             std::filesystem::copy_options::overwrite_existing);

  const std::string profile =
      testing::readFile(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/klantprofiel.xml");
  std::atomic<bool> stop{false};
  std::mutex answers_mutex;
  std::vector<Answered> answers;
  std::vector<std::thread> pushers;
  for (int t = 0; t < kPushers; ++t) {
    pushers.emplace_back([&, t] {
      HttpsClient coa({"127.0.0.1", server.exchangePort(), c.env.pkiDir() / "ca.pem", c.env.certificateOf("coa"),
                       c.env.keyOf("coa"), std::chrono::seconds(30)});
      std::vector<Answered> mine;
      for (long long n = 0; !stop; ++n) {
        std::string body = profile;
        body.replace(
            body.find("725763863"), 9,
            sequentialSyntheticBsn(static_cast<std::uint64_t>(t) * 100'000ULL + static_cast<std::uint64_t>(n)));
        body.replace(body.find("2093847561"), 10, std::to_string(5000000000LL + t * 100'000'000LL + n));
        Answered a;
        a.began = std::chrono::steady_clock::now();
        const auto r = coa.request("POST", "/v1/berichten/coa.klantprofiel",
                                   {{"X-Doelbinding", "regie-inburgering"}, {"Content-Type", "application/xml"}}, body);
        a.ended = std::chrono::steady_clock::now();
        a.accepted = std::holds_alternative<HttpsResponse>(r) && std::get<HttpsResponse>(r).status == 202;
        mine.push_back(a);
      }
      std::lock_guard lock(answers_mutex);
      answers.insert(answers.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the pushers at speed before the first reload

  std::vector<std::pair<std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point>> reloads;
  bool with = true;
  std::uint64_t applied = 0;
  for (auto _ : state) {
    // The configuration file the gateway reads is replaced, as an operator does.
    with = !with;
    std::filesystem::copy_file(with ? c.env.workdir / "chain-with.xml" : without_file, with_file,
                               std::filesystem::copy_options::overwrite_existing);
    const auto began = std::chrono::steady_clock::now();
    const auto report = server.reload(with_file, "bench");
    reloads.emplace_back(began, std::chrono::steady_clock::now());
    if (report.outcome != "applied") state.SkipWithError(("reload " + report.outcome).c_str());
    ++applied;
    state.PauseTiming();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // pushes outside reloads too
    state.ResumeTiming();
  }
  stop = true;
  for (auto& p : pushers) p.join();
  server.drain();
  server.wait();
  std::filesystem::copy_file(c.env.workdir / "chain-with.xml", with_file,
                             std::filesystem::copy_options::overwrite_existing);

  std::vector<double> during, outside;
  std::size_t failed = 0;
  for (const Answered& a : answers) {
    if (!a.accepted) ++failed;
    const double ms = std::chrono::duration<double, std::milli>(a.ended - a.began).count();
    const bool overlaps = std::any_of(reloads.begin(), reloads.end(),
                                      [&a](const auto& r) { return a.began < r.second && r.first < a.ended; });
    (overlaps ? during : outside).push_back(ms);
  }
  state.counters["pushes"] = static_cast<double>(answers.size());
  state.counters["failed"] = static_cast<double>(failed);
  state.counters["reloads_applied"] = static_cast<double>(applied);
  state.counters["p99_during_reload_ms"] = percentile(during, 0.99);
  state.counters["p99_outside_reload_ms"] = percentile(outside, 0.99);
  state.counters["p50_outside_reload_ms"] = percentile(outside, 0.50);
  state.counters["pushes_during_reload"] = static_cast<double>(during.size());
}
BENCHMARK(BM_ReloadTheChainWhile32ConnectionsPush)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) { return ketenpoort::bench::runBenchmarksQuietly(argc, argv); }
