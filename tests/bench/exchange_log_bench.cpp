// Exchange-log figures for docs/performance.md (issue 4):
//   durable appends per second with group commit (goal >= 100,000/s),
//   chain verification (goal >= 1,000,000 records/s),
//   lookup by BSN among 1,000,000 records (goal <= 5 ms),
//   the writer's cost per exchange (record + outbox entry + body, then delivered) with 32
//   senders in flight (issue 14).
//   build/tests/bench/exchange_log_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>

#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/exchange_query.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/bench/bench_log.hpp"
#include "tests/support/postgres_database.hpp"

namespace ketenpoort {
namespace {

const SubjectReferencer& referencer() {
  static const SubjectReferencer r{std::string(32, 'b')};
  return r;
}

// A BSN-shaped number per person; references come from the keyed hash as in production.
std::string subjectOf(std::size_t person) {
  return referencer().reference({SubjectKey::Kind::kBsn, std::to_string(100000000 + person)});
}

ExchangeRecord sampleRecord(std::size_t i, std::size_t people) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = systemTime().nowRfc3339();
  r.flow = "coa.klantprofiel";
  r.sender_oin = "00000099100000000001";
  // Four gemeenten take turns; one push in twenty is refused.
  static const char* const kGemeenten[] = {"00000099200000000363", "00000099200000000518", "00000099200000000344",
                                           "00000099200000000599"};
  r.recipient_oin = kGemeenten[i % 4];
  r.purpose = "regie-inburgering";
  r.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
  r.subject_ref = subjectOf(i % people);
  r.fields_delivered = {"persoon.bsn",
                        "persoon.voornamen",
                        "persoon.geslachtsnaam",
                        "persoon.geboortedatum",
                        "procedure.koppeling_gemeentecode",
                        "gezin.leden[0].relatie",
                        "voorinburgering.nt2_uren"};
  r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}, {"achtergrond.asielrelaas", "not-permitted"}};
  r.outcome = (i / 4) % 20 == 3 ? ExchangeOutcome::kRefused : ExchangeOutcome::kDelivered;
  r.payload_sha256 = sha256Hex(std::to_string(i));
  r.retention_until = "2030-11-22";
  return r;
}

ExchangeLogOptions optionsIn(const std::filesystem::path& dir) {
  ExchangeLogOptions o;
  o.database = dir / "bench.db";
  o.signing_key = dir / "log-signing.key";
  return o;
}

std::vector<ExchangeRecord> sampleRecords(std::size_t first, std::size_t count, std::size_t people) {
  std::vector<ExchangeRecord> records;
  records.reserve(count);
  for (std::size_t i = 0; i < count; ++i) records.push_back(sampleRecord(first + i, people));
  return records;
}

using bench::appendAll;
using bench::freshDir;

void BM_DurableAppends(benchmark::State& state) {
  const auto dir = freshDir("append");
  const std::size_t per_iteration = 100'000;
  std::size_t appended = 0;
  ExchangeLogOptions o = optionsIn(dir);
  SqliteExchangeLog log(o);
  for (auto _ : state) {
    // Records are built outside the timing: that work belongs to the request, not the log.
    state.PauseTiming();
    auto records = sampleRecords(appended, per_iteration, 50'000);
    state.ResumeTiming();
    appendAll(log, std::move(records));
    appended += per_iteration;
  }
  state.SetItemsProcessed(static_cast<int64_t>(appended));
  state.counters["appends_per_s"] = benchmark::Counter(static_cast<double>(appended), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DurableAppends)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// What the writer spends per exchange as the gateway uses it: `state.range(0)` senders,
// each with one exchange in flight — its record, outbox entry and 2 KB body in one write,
// then its delivered state (deferred sync) — and the next once that is written. Reports
// exchanges/s and the process's CPU time per exchange (all threads: writer, checkpointer).
// `senders` exchanges in flight at once, spread over the stores (nodes) given; each is its
// record, outbox entry and 2 KB body in one write, then its delivered state (deferred
// sync), and the next once that is written. Reports exchanges/s and the process's CPU time
// per exchange (all threads).
void runExchanges(benchmark::State& state, const std::vector<GatewayStore*>& nodes, std::size_t senders) {
  const std::string body(2048, 'x');
  constexpr std::size_t kPerIteration = 20'000;
  std::size_t exchanges = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    std::mutex mutex;
    std::condition_variable all_done;
    std::size_t started = 0;
    std::size_t finished = 0;
    std::atomic<std::size_t> failures{0};
    std::function<void(GatewayStore&)> next;
    next = [&](GatewayStore& store) {
      std::size_t i = 0;
      {
        std::lock_guard lock(mutex);
        if (started == kPerIteration) return;
        i = started++;
      }
      ExchangeRecord r = sampleRecord(exchanges + i, 50'000);
      r.outcome = ExchangeOutcome::kQueued;
      OutboxEntry entry;
      entry.transaction_id = r.transaction_id;
      entry.flow = r.flow;
      entry.recipient_party_id = "gemeente-0363";
      entry.route = DeliveryRoute::kEndpoint;
      store.log().append(
          std::move(r), [entry, &body](StoreTransaction& tx) { tx.enqueueDelivery(entry, body); },
          [&, entry](const AppendResult& queued) {
            if (!queued.ok) ++failures;
            store.outbox().markDelivered(entry, [&](bool ok, const std::string&) {
              if (!ok) ++failures;
              {
                std::lock_guard lock(mutex);
                if (++finished == kPerIteration) all_done.notify_one();
              }
              next(store);
            });
          });
    };
    const std::clock_t cpu_before = std::clock();
    for (std::size_t s = 0; s < senders; ++s) next(*nodes[s % nodes.size()]);
    {
      std::unique_lock lock(mutex);
      all_done.wait(lock, [&] { return finished == kPerIteration; });
    }
    cpu_seconds += static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
    if (failures > 0) state.SkipWithError("writes failed");
    exchanges += kPerIteration;
  }
  state.counters["exchanges_per_s"] = benchmark::Counter(static_cast<double>(exchanges), benchmark::Counter::kIsRate);
  state.counters["cpu_us_per_exchange"] = 1e6 * cpu_seconds / static_cast<double>(exchanges);
}

void BM_ExchangesThroughTheWriter(benchmark::State& state) {
  const auto dir = freshDir("exchanges");
  GatewayConfig config;
  config.storage_path = dir / "ketenpoort.db";
  GatewayStore store(config);
  runExchanges(state, {&store}, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_ExchangesThroughTheWriter)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// --- PostgreSQL (issue 15): a private cluster started for these benchmarks, a fresh
// database for each; the server's CPU is in its own processes (cpu_us counts this one only).

PostgresCluster& postgres() {
  static const auto dir = freshDir("postgres");
  static PostgresCluster cluster(dir / "cluster.env");
  return cluster;
}

GatewayConfig pgNode(const std::filesystem::path& dir, const std::string& dsn, const std::string& node) {
  GatewayConfig config;
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = dsn;
  config.storage_node_id = node;
  config.storage_key_dir = dir / node;
  std::filesystem::create_directories(config.storage_key_dir);
  if (node != "node-a") {
    std::filesystem::copy_file(dir / "node-a" / "subject.key", config.storage_key_dir / "subject.key",
                               std::filesystem::copy_options::overwrite_existing);
  }
  return config;
}

void BM_PgDurableAppends(benchmark::State& state) {
  const auto dir = freshDir("pg-append");
  testing::PostgresDatabase database(true, postgres().adminDsn());
  PgLogOptions o;
  o.dsn = database.dsn();
  o.node_id = "node-a";
  o.signing_key = dir / "log-signing.key";
  PgExchangeLog log(o);
  const std::size_t per_iteration = 100'000;
  std::size_t appended = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto records = sampleRecords(appended, per_iteration, 50'000);
    state.ResumeTiming();
    appendAll(log, std::move(records));
    appended += per_iteration;
  }
  state.counters["appends_per_s"] = benchmark::Counter(static_cast<double>(appended), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PgDurableAppends)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The writer benchmark on PostgreSQL with `state.range(1)` nodes sharing the database (the
// senders spread over them): what coordination between nodes costs in the store.
void BM_PgExchangesThroughTheWriter(benchmark::State& state) {
  const auto dir = freshDir("pg-exchanges");
  testing::PostgresDatabase database(true, postgres().adminDsn());
  std::vector<std::unique_ptr<GatewayStore>> stores;
  std::vector<GatewayStore*> nodes;
  for (int n = 0; n < state.range(1); ++n) {
    stores.push_back(std::make_unique<GatewayStore>(
        pgNode(dir, database.dsn(), "node-" + std::string(1, static_cast<char>('a' + n)))));
    nodes.push_back(stores.back().get());
  }
  runExchanges(state, nodes, static_cast<std::size_t>(state.range(0)));
}
BENCHMARK(BM_PgExchangesThroughTheWriter)
    ->Args({32, 1})
    ->Args({32, 2})
    ->ArgNames({"senders", "nodes"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// One log of 1,000,000 records over 100,000 people, made once for the next two.
const std::filesystem::path& millionRecordLog() {
  static const std::filesystem::path dir = [] {
    const auto d = freshDir("million");
    ExchangeLogOptions o = optionsIn(d);
    SqliteExchangeLog log(o);
    for (std::size_t first = 0; first < 1'000'000; first += 100'000) {
      appendAll(log, sampleRecords(first, 100'000, 100'000));
    }
    return d;
  }();
  return dir;
}

void BM_VerifyChain(benchmark::State& state) {
  const auto dir = millionRecordLog();
  std::ifstream in(dir / "log-signing.key.pub");
  std::stringstream pem;
  pem << in.rdbuf();
  std::uint64_t checked = 0;
  for (auto _ : state) {
    const LogVerification v = verifyExchangeLog(dir / "bench.db", pem.str());
    if (!v.intact) state.SkipWithError(v.problem.c_str());
    checked += v.records_checked;
  }
  state.counters["records_per_s"] = benchmark::Counter(static_cast<double>(checked), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VerifyChain)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_LookupByBsnAmongAMillion(benchmark::State& state) {
  const auto dir = millionRecordLog();
  sqlite3* db = nullptr;
  sqlite3_open_v2((dir / "bench.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT seq, time_utc, flow, sender_oin, recipient_oin, purpose, "
                     "legal_basis, fields_delivered, fields_withheld, outcome, reason "
                     "FROM exchange_log WHERE subject_key = ?2 AND subject_ref = ?1 ORDER BY seq",
                     -1, &stmt, nullptr);
  std::size_t person = 0;
  std::size_t rows = 0;
  for (auto _ : state) {
    // From BSN to rows, the keyed hash included, as the access report does it.
    const std::string ref = subjectOf(person++ * 7919 % 100'000);
    sqlite3_bind_text(stmt, 1, ref.data(), static_cast<int>(ref.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, subjectKey(ref));
    while (sqlite3_step(stmt) == SQLITE_ROW) ++rows;
    sqlite3_reset(stmt);
  }
  if (rows != static_cast<std::size_t>(state.iterations()) * 10) state.SkipWithError("expected 10 records per person");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}
BENCHMARK(BM_LookupByBsnAmongAMillion)->Unit(benchmark::kMicrosecond);

// One page (100 records) of an officer's audit search among a million records, as
// `GET /v1/audit/exchanges` asks it: the organisation's own records (a quarter of the
// log), from a random point on (keyset paging), without and with a filter on the outcome
// (one in twenty refused).
void BM_AuditPageAmongAMillion(benchmark::State& state) {
  const auto dir = millionRecordLog();
  SqliteExchangeLog log(optionsIn(dir));
  ExchangeQuery query;
  query.organisation_oin = "00000099200000000363";
  query.exchanges_only = true;
  query.limit = 100;
  if (state.range(0) == 1) query.outcome = "refused";
  std::uint64_t after = 0;
  std::size_t rows = 0;
  for (auto _ : state) {
    after = (after + 104'729) % 900'000;
    query.after_sequence = after;
    rows += log.findExchanges(query).size();
  }
  if (rows != static_cast<std::size_t>(state.iterations()) * 100) state.SkipWithError("expected full pages");
}
BENCHMARK(BM_AuditPageAmongAMillion)->Arg(0)->Arg(1)->ArgName("refused_only")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ketenpoort

BENCHMARK_MAIN();
