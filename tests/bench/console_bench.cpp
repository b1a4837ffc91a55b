// The privacy officer's console with 1,000,000 records in the log (issue 16: every page
// in under 100 ms). A real gateway over a log filled once (COA, DUO and a language school
// towards two gemeenten, a year of days, 100,000 synthetic persons, one push in twenty
// refused, medical fields withheld), asked over HTTPS with the officer's certificate, as a
// browser asks: each iteration is one request and its whole answer, the page's own log
// record included (written and synced before the page is shown).
//   build/tests/bench/console_bench [--benchmark_filter=…]
#include <benchmark/benchmark.h>

#include <random>

#include "adapters/standard_adapters.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/bench/bench_log.hpp"
#include "tests/support/console_page.hpp"

namespace ketenpoort {
namespace {

constexpr std::size_t kRecords = 1'000'000;
constexpr std::size_t kPeople = 100'000;

struct Flow {
  const char* id;
  const char* sender;
  const char* purpose;
};
// Person p's i-th record: every person's records go to one gemeente (p even: Amsterdam).
constexpr Flow kFlows[] = {{"coa.klantprofiel", "coa", "regie-inburgering"},
                           {"coa.nareisprofiel", "coa", "regie-inburgering"},
                           {"duo.inburgeringsstatus", "duo", "regie-inburgering"},
                           {"taalschool.aanwezigheid", "taalschool-a", "regie-inburgering"},
                           {"coa.klantprofiel", "coa", "regie-inburgering"}};

class ConsoleWithAMillionRecords {
 public:
  ConsoleWithAMillionRecords() : env_(createDemoEnvironment(bench::freshDir("console"), DemoPorts{0, 0, 0})) {
    std::mt19937_64 rng(16);
    for (std::size_t p = 0; p < kPeople; ++p) bsns_.push_back(randomSyntheticBsn(rng));
    fill();
    GatewayConfig config = env_.config;
    server_ = std::make_unique<GatewayServer>(std::move(config), standardAdapters(env_.config));
    server_->start(false);
    HttpsClientOptions o;
    o.port = server_->auditPort();
    o.ca_bundle = env_.pkiDir() / "ca.pem";
    o.certificate = env_.certificateOf("fg-0363");
    o.private_key = env_.keyOf("fg-0363");
    o.timeout = std::chrono::seconds(60);
    client_ = std::make_unique<HttpsClient>(o);
    waitForTheFigures();
  }

  HttpsResponse get(const std::string& target) {
    auto result = client_->request("GET", target, {});
    if (auto* r = std::get_if<HttpsResponse>(&result)) return std::move(*r);
    return HttpsResponse{};
  }
  HttpsResponse post(const std::string& target, const std::string& form) {
    // As a form of the console's own (the token); no Origin, as a client that is no browser.
    auto result = client_->request("POST", target, {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
    if (auto* r = std::get_if<HttpsResponse>(&result)) return std::move(*r);
    return HttpsResponse{};
  }
  std::string token(const std::string& page) { return testing::consoleFormToken(get(page).body); }
  const std::string& bsn(std::size_t person) const { return bsns_[person % kPeople]; }
  double countedInSeconds() const { return counted_seconds_; }

 private:
  void fill() {
    GatewayStore store(env_.config);
    const auto oin = [this](const char* id) { return env_.config.findPartyById(id)->oin.str(); };
    const std::string amsterdam = oin("gemeente-0363");
    const std::string den_haag = oin("gemeente-0518");
    const auto first_day = std::chrono::sys_days(todayUtc()) - std::chrono::days(365);
    std::vector<ExchangeRecord> batch;
    for (std::size_t i = 0; i < kRecords; ++i) {
      const std::size_t person = i % kPeople;
      const Flow& flow = kFlows[(i / kPeople) % std::size(kFlows)];
      ExchangeRecord r;
      r.transaction_id = newUuidV7();
      r.trace_id = newTraceId();
      const auto at = std::chrono::system_clock::time_point(first_day) +
                      std::chrono::seconds(static_cast<std::int64_t>(i * 365 * 86400 / kRecords));
      r.time_utc = formatRfc3339(at);
      r.flow = flow.id;
      r.sender_oin = oin(flow.sender);
      r.recipient_oin = person % 2 == 0 ? amsterdam : den_haag;
      r.purpose = flow.purpose;
      r.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
      r.subject_ref = store.referencer().reference({SubjectKey::Kind::kBsn, bsn(person)});
      r.fields_delivered = {"persoon.bsn",
                            "persoon.voornamen",
                            "persoon.geslachtsnaam",
                            "persoon.geboortedatum",
                            "procedure.koppeling_gemeentecode",
                            "voorinburgering.nt2_uren"};
      if (i % 5 == 0) r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}};
      r.outcome = i % 20 == 7 ? ExchangeOutcome::kRefused : ExchangeOutcome::kQueued;
      r.reason = r.outcome == ExchangeOutcome::kRefused ? "no-koppeling" : "";
      r.retention_until = "2031-12-02";
      batch.push_back(std::move(r));
      if (batch.size() == 100'000) bench::appendAll(store.log(), std::exchange(batch, {}));
    }
  }

  // The overview's figures are counted from the log after a start (every record once);
  // the benchmark measures the pages after that, and reports how long it took.
  void waitForTheFigures() {
    const auto started = std::chrono::steady_clock::now();
    for (;;) {
      const std::string counted = testing::textAfter(get("/console").body, "tot en met record ", "0123456789");
      if (!counted.empty() && std::stoull(counted) >= kRecords) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    counted_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  DemoEnvironment env_;
  std::vector<std::string> bsns_;
  std::unique_ptr<GatewayServer> server_;
  std::unique_ptr<HttpsClient> client_;
  double counted_seconds_ = 0;
};

ConsoleWithAMillionRecords& console() {
  static ConsoleWithAMillionRecords instance;
  return instance;
}

const char* const kPages[] = {
    "/console",
    "/console/uitwisselingen",
    "/console/uitwisselingen?voor=500000",
    "/console/uitwisselingen?uitkomst=refused&stroom=coa.klantprofiel",
    "/console/uitwisselingen?partij=duo&van=2026-06-01&tot=2026-06-30",
    "/console/uitwisselingen/400001",
    "/console/toestemmingen",
    "/console/controle",
    "/console/toegang",
};

void BM_ConsolePage(benchmark::State& state) {
  auto& c = console();
  const std::string target = kPages[state.range(0)];
  state.SetLabel(target);
  for (auto _ : state) {
    const auto response = c.get(target);
    if (response.status != 200) state.SkipWithError(("status " + std::to_string(response.status)).c_str());
  }
  state.counters["figures_counted_after_start_s"] = c.countedInSeconds();
}
BENCHMARK(BM_ConsolePage)->DenseRange(0, std::size(kPages) - 1)->Unit(benchmark::kMillisecond)->UseRealTime();

// One person's inzage (ten records of theirs in the log, all towards Amsterdam).
void BM_ConsoleInzage(benchmark::State& state) {
  auto& c = console();
  const std::string token = c.token("/console/inzage");
  std::size_t person = 0;
  for (auto _ : state) {
    person = (person + 7919 * 2) % kPeople;  // even: Amsterdam's
    const auto response = c.post("/console/inzage", "bsn=" + c.bsn(person) + "&formulier=" + token);
    if (response.status != 200 || response.body.find("10 uitwisseling(en)") == std::string::npos) {
      state.SkipWithError(("no inzage of ten exchanges: status " + std::to_string(response.status) + ", " +
                           testing::consoleReason(response.body))
                              .c_str());
    }
  }
}
BENCHMARK(BM_ConsoleInzage)->Unit(benchmark::kMillisecond)->UseRealTime();

// Not a page but an action: the whole log verified (records, chain, checkpoints, head).
void BM_ConsoleVerifyNow(benchmark::State& state) {
  auto& c = console();
  for (auto _ : state) {
    const auto response = c.post("/console/controle", "formulier=" + c.token("/console/controle"));
    if (response.body.find("Het logboek is in orde") == std::string::npos) {
      state.SkipWithError(
          ("not intact: status " + std::to_string(response.status) + ", " + testing::consoleReason(response.body))
              .c_str());
    }
  }
}
BENCHMARK(BM_ConsoleVerifyNow)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

}  // namespace
}  // namespace ketenpoort

BENCHMARK_MAIN();
