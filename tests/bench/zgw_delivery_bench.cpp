// Issue 28: what a delivery into a case system through the ZGW APIs costs next to the JSON
// push to an endpoint. A gateway in this process with the standard adapters; COA pushes
// klantprofielen (synthetic persons, one BSN and V-nummer each) over 4 keep-alive
// connections for Amsterdam, which takes them either at its endpoint (the gemeente
// simulator) or into its case system (the ZGW test server: zaak, rol, two documents, two
// links, six calls each). An iteration is 200 messages, push to delivered (the outbox
// empty); the figure is messages per second, and the CPU the process spent per message.
//   build/tests/bench/zgw_delivery_bench
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <atomic>
#include <thread>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/standard_adapters.hpp"
#include "adapters/zgw/zgw_simulator.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "tests/bench/quiet_main.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

constexpr int kMessages = 200;
constexpr int kPushers = 4;

double processCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// COA's klantprofielen for Amsterdam, each person new (the persons are numbered per run).
class Pushes {
 public:
  explicit Pushes(std::uint64_t seed) : coa_(seed, {"0363"}) {}
  std::string next() {
    std::lock_guard lock(mutex_);
    for (;;) {
      SyntheticProfile p = coa_.next();
      if (p.flow == "coa.klantprofiel") return p.xml;
    }
  }

 private:
  std::mutex mutex_;
  SyntheticCoa coa_;
};

void deliverInto(benchmark::State& state, bool case_system) {
  testing::TempDir dir;
  DemoEnvironment env = createDemoEnvironment(dir.path() / "gw", DemoPorts{0, 0, 0});
  GatewayConfig config = env.config;
  config.limits.threads = 2;
  config.outbox.initial_backoff = std::chrono::milliseconds(20);

  GemeenteSimulatorOptions endpoint;
  endpoint.receiver.tls = env.tlsOf("gemeente-0363");
  endpoint.out_dir = dir.path() / "received";
  GemeenteSimulator amsterdam(endpoint);
  amsterdam.start();
  ZgwSimulatorOptions zaken;
  zaken.receiver.tls = env.tlsOf("gemeente-0363");
  zaken.clients = {{"ketenpoort-0363", "bench-secret"}};
  ZgwSimulator zgw(zaken);
  zgw.start();
  for (Party& p : config.parties) {
    if (p.id != "gemeente-0363") continue;
    p.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(amsterdam.port()) + "/berichten"}};
    if (case_system) {
      const std::string catalogi = "https://catalogi.gemeente.example/catalogi/api/v1/";
      p.zgw.push_back({"coa.klantprofiel", zgw.zakenApi(), zgw.documentenApi(), catalogi + "zaaktypen/1",
                       catalogi + "informatieobjecttypen/2", catalogi + "roltypen/3", "002220647", "ketenpoort-0363",
                       dir.path() / "secret", "bench-secret"});
    }
  }
  GatewayServer server(config, standardAdapters(config));
  server.start(false);
  Pushes pushes(static_cast<std::uint64_t>(case_system ? 2801 : 2802));

  std::uint64_t delivered_before = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double cpu_start = processCpuSeconds();
    std::atomic<int> next{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> pushers;
    for (int t = 0; t < kPushers; ++t) {
      pushers.emplace_back([&] {
        HttpsClient coa({"127.0.0.1", server.exchangePort(), env.pkiDir() / "ca.pem", env.certificateOf("coa"),
                         env.keyOf("coa"), std::chrono::seconds(10)});
        while (next.fetch_add(1) < kMessages) {
          const auto r =
              coa.request("POST", "/v1/berichten/coa.klantprofiel",
                          {{"Content-Type", "application/xml"}, {"X-Doelbinding", "regie-inburgering"}}, pushes.next());
          if (!std::holds_alternative<HttpsResponse>(r) || std::get<HttpsResponse>(r).status != 202) ++refused;
        }
      });
    }
    for (auto& t : pushers) t.join();
    const std::uint64_t target = delivered_before + kMessages - static_cast<std::uint64_t>(refused.load());
    // Polled, not waited on: the benchmark watches the outbox from outside, as an operator would.
    while (server.outbox().count(DeliveryState::kDelivered) < target) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    delivered_before = target;
    cpu += processCpuSeconds() - cpu_start;
    if (refused.load() > 0) state.SkipWithError("a push was refused");
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  state.counters["cpu_ms_per_message"] = 1000.0 * cpu / static_cast<double>(state.iterations() * kMessages);
  if (case_system) {
    state.counters["zaken"] = static_cast<double>(zgw.zaakCount());
    state.counters["links"] = static_cast<double>(zgw.linkCount());
  }
  server.drain();
  server.wait();
  amsterdam.stop();
  zgw.stop();
}

void BM_DeliveredAsJsonToTheEndpoint(benchmark::State& state) { deliverInto(state, false); }
void BM_DeliveredIntoTheCaseSystemThroughZgw(benchmark::State& state) { deliverInto(state, true); }
BENCHMARK(BM_DeliveredAsJsonToTheEndpoint)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(BM_DeliveredIntoTheCaseSystemThroughZgw)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace
}  // namespace ketenpoort

int main(int argc, char** argv) { return ketenpoort::bench::runBenchmarksQuietly(argc, argv); }
