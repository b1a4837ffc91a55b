// Issue 15's kill test: two gateway nodes on one PostgreSQL database behind HAProxy (TCP
// mode, TLS passed through, /readyz health checks). COA pushes 1,000 profiles through
// HAProxy while the receivers fail 30 % of requests, and one node is killed (SIGKILL)
// mid-run and not restarted. Every accepted profile is stored by its receiver exactly once,
// the log holds one exchange per transaction, every outbox entry ends delivered (the dead
// node's leased entries by the other node once their lease ended), and `log verify`
// finds both nodes' chains intact.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/postgres_database.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

bool ready(std::uint16_t ops_port) { return plainHttpGet(ops_port, "/readyz").status == 200; }

TEST(Cluster, ANodeKilledUnderLoadLosesNothingAndDoublesNothing) {
  TempDir dir;
  PostgresDatabase database(/*migrated=*/false);
  DemoEnvironment env = createDemoEnvironment(dir.path() / "gw", DemoPorts{freePort(), freePort(), freePort()});
  std::vector<std::unique_ptr<GemeenteSimulator>> receivers;
  for (Party& party : env.config.parties) {
    if (party.role != PartyRole::kGemeente) continue;
    GemeenteSimulatorOptions o;
    o.receiver.tls = {env.pkiDir() / "ca.pem", env.certificateOf(party.id), env.keyOf(party.id)};
    o.receiver.threads = 2;
    o.out_dir = dir.path() / "received" / party.id;
    o.fail_rate = 0.3;
    o.seed = receivers.size() + 11;
    receivers.push_back(std::make_unique<GemeenteSimulator>(o));
    receivers.back()->start();
    party.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(receivers.back()->port()) + "/berichten"}};
  }
  env.config.outbox.initial_backoff = std::chrono::milliseconds(20);
  env.config.outbox.max_backoff = std::chrono::milliseconds(200);
  env.config.outbox.max_attempts = 1000;
  env.config.outbox.delivery_timeout = std::chrono::milliseconds(1'000);
  env.config.outbox.lease = std::chrono::milliseconds(2'000);  // the dead node's entries wait this long
  env.config.limits.threads = 1;
  env.config.storage_backend = StorageBackend::kPostgresql;
  env.config.storage_dsn = database.dsn();
  // One subject key for both nodes, as an operator copies it.
  std::filesystem::create_directories(env.workdir / "keys-a");
  std::filesystem::create_directories(env.workdir / "keys-b");
  SubjectReferencer::loadOrCreate(env.workdir / "keys-a" / "subject.key");
  std::filesystem::copy_file(env.workdir / "keys-a" / "subject.key", env.workdir / "keys-b" / "subject.key");

  GatewayConfig node_a = env.config;
  node_a.storage_node_id = "node-a";
  node_a.storage_key_dir = env.workdir / "keys-a";
  GatewayConfig node_b = env.config;
  node_b.storage_node_id = "node-b";
  node_b.storage_key_dir = env.workdir / "keys-b";
  node_b.exchange.port = freePort();
  node_b.audit.port = freePort();
  node_b.ops.port = freePort();
  const auto config_a = env.workdir / "node-a.xml";
  const auto config_b = env.workdir / "node-b.xml";
  std::ofstream(config_a) << renderGatewayConfigXml(node_a, env.workdir);
  std::ofstream(config_b) << renderGatewayConfigXml(node_b, env.workdir);

  const std::string migrate = std::string(KETENPOORT_BINARY) + " db migrate --config " + config_a.string() + " > " +
                              (dir.path() / "migrate.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(migrate.c_str()), 0) << readFile(dir.path() / "migrate.txt");

  const auto log_a = dir.path() / "node-a.log";
  const auto log_b = dir.path() / "node-b.log";
  pid_t gateway_a = startGateway(config_a, log_a);
  pid_t gateway_b = startGateway(config_b, log_b);
  const auto stopAll = [&] {
    if (gateway_a > 0) ::kill(gateway_a, SIGKILL), ::waitpid(gateway_a, nullptr, 0), gateway_a = -1;
    if (gateway_b > 0) ::kill(gateway_b, SIGKILL), ::waitpid(gateway_b, nullptr, 0), gateway_b = -1;
  };
  if (!waitUntil([&] { return ready(node_a.ops.port) && ready(node_b.ops.port); }, std::chrono::seconds(20))) {
    stopAll();
    FAIL() << "the nodes did not become ready\n" << logTail(log_a) << "\n" << logTail(log_b);
  }
  HaproxyProcess haproxy(dir.path(), freePort(),
                         {{"node-a", node_a.exchange.port, node_a.ops.port},
                          {"node-b", node_b.exchange.port, node_b.ops.port}});

  auto stored = [&] {
    std::uint64_t n = 0;
    for (const auto& r : receivers) n += r->stored();
    return n;
  };
  CoaSimulatorOptions push;
  push.gateway = {"127.0.0.1", haproxy.port(), env.pkiDir() / "ca.pem", env.certificateOf("coa"), env.keyOf("coa"),
                  std::chrono::seconds(5)};
  push.count = 1000;
  push.concurrency = 4;
  push.keep_trying = std::chrono::seconds(40);
  CoaSimulatorSummary summary;
  std::thread pusher([&] { summary = runCoaSimulator(push); });

  // Node a dies mid-run and stays dead: node b takes the pushes HAProxy sends on, and
  // node a's leased entries once their lease has ended.
  if (!waitUntil([&] { return stored() >= 300; }, std::chrono::seconds(40))) {
    stopAll();
    pusher.join();
    FAIL() << "stored " << stored() << "\n" << logTail(log_a) << "\n" << logTail(log_b);
  }
  ASSERT_EQ(::kill(gateway_a, SIGKILL), 0);
  ::waitpid(gateway_a, nullptr, 0);
  gateway_a = -1;
  pusher.join();
  EXPECT_EQ(summary.accepted, 1000u);
  EXPECT_EQ(summary.unanswered, 0u);
  EXPECT_TRUE(summary.refused.empty());

  // Delivered as the outbox records it: the receiver's answer to the last attempt came
  // back and its state is written (a stored message whose answer was still on its way
  // would be sent again after a restart, and dropped by the receiver as a repeat).
  pg::Connection c(database.dsn());
  const auto delivered = [&] {
    return c.run("SELECT COUNT(*) FROM outbox WHERE state = 'delivered'").integer(0, 0);
  };
  if (!waitUntil([&] { return stored() >= summary.accepted && delivered() >= 1000; }, std::chrono::seconds(40))) {
    stopAll();
    std::string waiting;
    const pg::Result rows = c.run(
        "SELECT transaction_id, state, COALESCE(lease_node, ''), lease_until_ms, lease_fence, attempts, last_error, "
        "next_attempt_ms FROM outbox WHERE state <> 'delivered'");
    for (int i = 0; i < rows.rows(); ++i) {
      for (int col = 0; col < 8; ++col) waiting += std::string(rows.text(i, col)) + (col < 7 ? " " : "\n");
    }
    FAIL() << "stored " << stored() << ", delivered " << delivered() << " of " << summary.accepted
           << "; waiting:\n" << waiting << logTail(log_b);
  }
  ::kill(gateway_b, SIGTERM);
  ::waitpid(gateway_b, nullptr, 0);
  gateway_b = -1;
  std::uint64_t repeats = 0;
  for (auto& r : receivers) {
    r->stop();
    repeats += r->duplicates();
  }

  // Exactly once as the receivers store it: one file per accepted transaction, nothing else.
  std::set<std::string> files;
  for (const auto& r : std::filesystem::recursive_directory_iterator(dir.path() / "received")) {
    if (r.path().extension() == ".json") files.insert(r.path().stem().string());
  }
  EXPECT_EQ(files.size(), 1000u);
  EXPECT_EQ(stored(), 1000u);
  for (const auto& id : summary.transaction_ids) EXPECT_EQ(files.count(id), 1u) << id;
  // Repeats the receivers' idempotency check dropped (a delivery cut by the kill after the
  // receiver stored it is sent again by node b under the same transaction id).
  RecordProperty("receiver_repeats_dropped", static_cast<int>(repeats));
  std::cout << "cluster: " << summary.accepted << " accepted, " << stored() << " stored once, " << repeats
            << " repeats dropped by the receivers' idempotency check, " << summary.resent << " pushes resent\n";

  // One exchange per transaction, in both nodes' chains; every entry delivered.
  const pg::Result exchanges = c.run(
      "SELECT COUNT(*), COUNT(DISTINCT transaction_id), COUNT(DISTINCT node_id) FROM exchange_log "
      "WHERE flow IN ('coa.klantprofiel', 'coa.nareisprofiel')");
  EXPECT_EQ(exchanges.integer(0, 0), 1000);
  EXPECT_EQ(exchanges.integer(0, 1), 1000);
  EXPECT_EQ(exchanges.integer(0, 2), 2) << "both nodes took pushes";
  EXPECT_EQ(c.run("SELECT COUNT(*) FROM outbox WHERE state = 'delivered'").integer(0, 0), 1000);
  EXPECT_EQ(c.run("SELECT COUNT(*) FROM outbox_bodies").integer(0, 0), 0);

  const std::string verify = std::string(KETENPOORT_BINARY) + " log verify --config " + config_b.string() + " > " +
                             (dir.path() / "verify.txt").string() + " 2>&1";
  EXPECT_EQ(std::system(verify.c_str()), 0) << readFile(dir.path() / "verify.txt");
  EXPECT_NE(readFile(dir.path() / "verify.txt").find("the log: intact, 2 node chain(s)"), std::string::npos)
      << readFile(dir.path() / "verify.txt");
}

}  // namespace
}  // namespace ketenpoort::testing
