// Purging 1,000,000 records while pushes continue (issue 17), for docs/performance.md:
// how long the purge takes and what it does to a push's latency (p50, p99, max), against
// the same pushes without a purge. Pushes are appends of a record through the log's writer,
// eight senders in a closed loop; the purge's windows are writes among the writer's groups.
//   build/tests/bench/purge_bench [--benchmark_filter=Sqlite|Pg]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/bench/bench_log.hpp"
#include "tests/support/postgres_database.hpp"

namespace ketenpoort {
namespace {

constexpr std::size_t kRecords = 1'000'000;
constexpr int kSenders = 8;

ExchangeRecord recordRetainedUntil(const char* until) {
  ExchangeRecord r = testing::sampleRecord(0, sha256Hex(newUuidV7()));
  r.fields_delivered = {"persoon.bsn",
                        "persoon.voornamen",
                        "persoon.geslachtsnaam",
                        "persoon.geboortedatum",
                        "procedure.koppeling_gemeentecode",
                        "voorinburgering.nt2_uren"};
  r.retention_until = until;
  return r;
}

// Nine in ten past their retention on the day of the purge.
void fill(ExchangeLog& log) {
  std::vector<ExchangeRecord> batch;
  for (std::size_t i = 0; i < kRecords; ++i) {
    batch.push_back(recordRetainedUntil(i % 10 == 0 ? "2031-01-01" : "2026-01-01"));
    if (batch.size() == 50'000) bench::appendAll(log, std::exchange(batch, {}));
  }
}

// Senders pushing until told to stop; each push's latency in microseconds.
class Pushers {
 public:
  explicit Pushers(ExchangeLog& log) {
    for (int s = 0; s < kSenders; ++s) {
      threads_.emplace_back([this, &log, s] {
        while (!stop_.load()) {
          const auto started = std::chrono::steady_clock::now();
          const AppendResult r = log.appendAndWait(recordRetainedUntil("2031-01-01"));
          const auto took = std::chrono::steady_clock::now() - started;
          if (!r.ok) failures_.fetch_add(1);
          latencies_[static_cast<std::size_t>(s)].push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(took).count());
        }
      });
    }
  }
  // Stops them and returns every latency, sorted.
  std::vector<std::int64_t> stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    std::vector<std::int64_t> all;
    for (auto& l : latencies_) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    return all;
  }
  std::uint64_t failures() const { return failures_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> failures_{0};
  std::array<std::vector<std::int64_t>, kSenders> latencies_;
  std::vector<std::thread> threads_;
};

double percentileMs(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  return static_cast<double>(
             sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))]) /
         1000.0;
}

void purgeWhilePushing(benchmark::State& state, GatewayStore& store) {
  fill(store.log());
  for (auto _ : state) {
    // The same pushes first without a purge, for comparison.
    Pushers quiet(store.log());
    std::this_thread::sleep_for(std::chrono::seconds(5));
    const auto baseline = quiet.stop();

    Pushers busy(store.log());
    PurgeBatchRequest request;
    request.as_of = "2026-12-04";
    const auto started = std::chrono::steady_clock::now();
    const PurgeBatchResult purged = purgeExpired(store.log(), request);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto during = busy.stop();
    if (!purged.ok || busy.failures() > 0 || quiet.failures() > 0) state.SkipWithError("a purge or push failed");
    const StoreLogCheck check = store.verifyLog();
    if (!check.intact) state.SkipWithError("the log does not verify after the purge");
    state.counters["purged"] = static_cast<double>(purged.removed);
    state.counters["purge_s"] = seconds;
    state.counters["purged_per_s"] = static_cast<double>(purged.removed) / seconds;
    state.counters["push_p50_ms_without"] = percentileMs(baseline, 0.50);
    state.counters["push_p99_ms_without"] = percentileMs(baseline, 0.99);
    state.counters["push_p50_ms_during"] = percentileMs(during, 0.50);
    state.counters["push_p99_ms_during"] = percentileMs(during, 0.99);
    state.counters["push_max_ms_during"] = percentileMs(during, 1.0);
    state.counters["pushes_per_s_during"] = static_cast<double>(during.size()) / seconds;
  }
}

void BM_SqlitePurgeWhilePushing(benchmark::State& state) {
  const auto dir = bench::freshDir("purge");
  GatewayConfig config;
  config.storage_path = dir / "ketenpoort.db";
  config.purge_at.reset();
  GatewayStore store(config);
  purgeWhilePushing(state, store);
}
BENCHMARK(BM_SqlitePurgeWhilePushing)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_PgPurgeWhilePushing(benchmark::State& state) {
  const auto dir = bench::freshDir("pg-purge");
  PostgresCluster cluster(dir / "cluster.env");
  testing::PostgresDatabase database(true, cluster.adminDsn());
  GatewayConfig config;
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = database.dsn();
  config.storage_node_id = "node-a";
  config.storage_key_dir = dir / "node-a";
  config.purge_at.reset();
  GatewayStore store(config);
  purgeWhilePushing(state, store);
}
BENCHMARK(BM_PgPurgeWhilePushing)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace ketenpoort

BENCHMARK_MAIN();
