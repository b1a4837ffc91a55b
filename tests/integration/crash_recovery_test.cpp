// The first "Done when" of the COA issue: 1,000 profiles while the receivers fail 30 % of
// requests and the gateway is killed (SIGKILL) and restarted twice. Every profile is
// delivered exactly once as the receivers' idempotency check sees it, none carries a
// medical field, the log has one record per exchange, and `log verify` passes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/log_fill.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

TEST(CrashRecovery, ThousandProfilesThroughTwoKillsAndAFlakyReceiverArriveExactlyOnce) {
  TempDir dir;
  DemoEnvironment env =
      createDemoEnvironment(dir.path() / "gw", DemoPorts{freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()});
  std::vector<std::unique_ptr<GemeenteSimulator>> receivers;
  for (Party& party : env.config.parties) {
    if (party.role != PartyRole::kGemeente) continue;
    GemeenteSimulatorOptions o;
    o.receiver.tls = {env.pkiDir() / "ca.pem", env.certificateOf(party.id), env.keyOf(party.id)};
    o.receiver.threads = 4;
    o.out_dir = dir.path() / "received" / party.id;
    o.fail_rate = 0.3;
    o.seed = receivers.size() + 7;
    receivers.push_back(std::make_unique<GemeenteSimulator>(o));
    receivers.back()->start();
    party.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(receivers.back()->port()) + "/berichten"}};
  }
  env.config.outbox.initial_backoff = std::chrono::milliseconds(20);
  env.config.outbox.max_backoff = std::chrono::milliseconds(200);
  env.config.outbox.max_attempts = 1000;
  env.config.limits.threads = 2;
  std::ofstream(env.config_file, std::ios::trunc) << renderGatewayConfigXml(env.config, env.workdir);
  const auto gateway_log = dir.path() / "gateway.log";

  auto stored = [&] {
    std::uint64_t n = 0;
    for (const auto& r : receivers) n += r->stored();
    return n;
  };

  pid_t gateway = startGateway(env.config_file, gateway_log);
  CoaSimulatorOptions push;
  push.gateway = {"127.0.0.1",      env.config.exchange.port, env.pkiDir() / "ca.pem", env.certificateOf("coa"),
                  env.keyOf("coa"), std::chrono::seconds(5)};
  push.count = 1000;
  push.concurrency = 4;
  // Every wait below fits within ctest's 120 s, so a stall fails here with the gateway's
  // log rather than as a bare timeout (a clean run takes about 3 s).
  push.keep_trying = std::chrono::seconds(30);
  CoaSimulatorSummary summary;
  std::thread pusher([&] { summary = runCoaSimulator(push); });

  // Kill in the middle of the stream, twice: once deliveries are under way, and again
  // later. Each time the gateway is restarted on the same config and database.
  for (std::uint64_t threshold : {150u, 500u}) {
    if (!waitUntil([&] { return stored() >= threshold; }, std::chrono::seconds(30))) {
      ::kill(gateway, SIGKILL);
      pusher.join();
      FAIL() << "stored " << stored() << "\n" << logTail(gateway_log);
    }
    ASSERT_EQ(::kill(gateway, SIGKILL), 0);
    ::waitpid(gateway, nullptr, 0);
    gateway = startGateway(env.config_file, gateway_log);
  }
  pusher.join();
  EXPECT_EQ(summary.accepted, 1000u);
  EXPECT_EQ(summary.unanswered, 0u);
  EXPECT_TRUE(summary.refused.empty());
  EXPECT_GT(summary.resent, 0u) << "the kills should have cut some pushes";

  if (!waitUntil([&] { return stored() >= summary.accepted; }, std::chrono::seconds(30))) {
    ::kill(gateway, SIGKILL);
    FAIL() << "stored " << stored() << " of " << summary.accepted << "\n" << logTail(gateway_log);
  }
  // A receiver stores a message before its answer reaches the gateway: the last outcome
  // may still be on its way to the outbox. Stopping before it is written would leave that
  // entry due for a (harmless, idempotent) redelivery at the next start, not "delivered".
  const auto delivered_in_outbox = [&] {
    return countInDatabase(env.config.storage_path, "outbox", "state = 'delivered'");
  };
  if (!waitUntil([&] { return delivered_in_outbox() >= 1000; }, std::chrono::seconds(30))) {
    ::kill(gateway, SIGKILL);
    FAIL() << "delivered " << delivered_in_outbox() << " in the outbox\n" << logTail(gateway_log);
  }
  ::kill(gateway, SIGTERM);
  int status = 0;
  ::waitpid(gateway, &status, 0);
  for (auto& r : receivers) r->stop();

  // Exactly once: one file per accepted transaction, and nothing else.
  std::set<std::string> files;
  std::size_t with_medical = 0;
  for (const auto& r : std::filesystem::recursive_directory_iterator(dir.path() / "received")) {
    if (r.path().extension() != ".json") continue;
    files.insert(r.path().stem().string());
    const std::string body = readFile(r.path());
    if (body.find("medisch") != std::string::npos || body.find("diagnose") != std::string::npos ||
        body.find("huisarts") != std::string::npos) {
      ++with_medical;
    }
  }
  EXPECT_EQ(files.size(), 1000u);
  EXPECT_EQ(stored(), 1000u);
  for (const auto& id : summary.transaction_ids) EXPECT_EQ(files.count(id), 1u) << id;
  EXPECT_EQ(with_medical, 0u);

  // One record per exchange: each accepted transaction exactly once among COA's records.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(env.config.storage_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT COUNT(*), COUNT(DISTINCT transaction_id) FROM exchange_log "
                     "WHERE flow IN ('coa.klantprofiel', 'coa.nareisprofiel')",
                     -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(q, 0), 1000);
  EXPECT_EQ(sqlite3_column_int64(q, 1), 1000);
  sqlite3_finalize(q);
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox WHERE state = 'delivered'", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(q, 0), 1000);
  sqlite3_finalize(q);
  sqlite3_close(db);

  const std::string verify = std::string(KETENPOORT_BINARY) + " log verify --db " + env.config.storage_path.string() +
                             " > " + (dir.path() / "verify.txt").string();
  EXPECT_EQ(std::system(verify.c_str()), 0) << readFile(dir.path() / "verify.txt");
}

// A purge killed (SIGKILL) halfway: every window it finished is whole, the log verifies,
// and purging again takes the rest.
TEST(CrashRecovery, APurgeKilledHalfwayLeavesAProvableLogAndResumes) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  constexpr std::size_t kRecords = 200'000;
  {
    GatewayStore store(env.config);
    std::vector<ExchangeRecord> records;
    for (std::size_t i = 0; i < kRecords; ++i) {
      ExchangeRecord r;
      r.transaction_id = newUuidV7();
      r.trace_id = newTraceId();
      r.time_utc = "2026-01-01T10:00:00.000Z";
      r.flow = "coa.klantprofiel";
      r.sender_oin = "00000099100000000001";
      r.recipient_oin = "00000099200000000363";
      r.purpose = "regie-inburgering";
      r.outcome = ExchangeOutcome::kQueued;
      r.retention_until = i % 10 == 0 ? "2031-01-01" : "2026-01-01";
      records.push_back(std::move(r));
      // The writer's queue holds so many at a time.
      if (records.size() == 50'000) appendAll(store.log(), std::exchange(records, {}));
    }
  }
  const auto purges = [&] {
    sqlite3* db = nullptr;
    sqlite3_open_v2(env.config.storage_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* q = nullptr;
    long long count = -1;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM log_purges", -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      count = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return count;
  };
  const std::string config = env.config_file.string();
  const auto purge = [&] {
    const pid_t child = ::fork();
    if (child == 0) {
      const int out = ::open((dir.path() / "purge.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(out, STDOUT_FILENO);
      ::execl(KETENPOORT_BINARY, KETENPOORT_BINARY, "log", "purge", "--config", config.c_str(), "--as-of", "2026-12-04",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return child;
  };
  const pid_t first = purge();
  ASSERT_TRUE(waitUntil([&] { return purges() >= 3; }, std::chrono::seconds(60)));
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(first, &status, 0), first);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the purge ended before it could be killed";
  {
    GatewayStore store(env.config);
    const StoreLogCheck halfway = store.verifyLog();
    ASSERT_TRUE(halfway.intact) << halfway.chains.at(0).verification.problem;
    EXPECT_GT(halfway.chains.at(0).verification.records_purged, 0u);
    EXPECT_LT(halfway.chains.at(0).verification.records_purged, kRecords * 9 / 10 - 1);
  }
  const pid_t second = purge();
  ASSERT_EQ(::waitpid(second, &status, 0), second);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << readFile(dir.path() / "purge.out");
  GatewayStore store(env.config);
  const StoreLogCheck done = store.verifyLog();
  ASSERT_TRUE(done.intact) << done.chains.at(0).verification.problem;
  // Nine in ten were past their retention; the last record stays whatever its date.
  EXPECT_EQ(done.chains.at(0).verification.records_purged, kRecords * 9 / 10 - 1);
  // Kept: the tenth within retention, the last record, and the finished purge's own record.
  EXPECT_EQ(done.chains.at(0).verification.records_checked, kRecords / 10 + 2);
}

}  // namespace
}  // namespace ketenpoort::testing
