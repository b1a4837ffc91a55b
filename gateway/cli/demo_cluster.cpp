// `ketenpoort demo --cluster`: two gateway nodes on one PostgreSQL database behind HAProxy,
// one of them killed while COA pushes synthetic profiles; the summary is computed from what
// the receivers actually stored and from the log itself (docs/deployment-ha.md).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/gemeente/gemeente_simulator.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/cli/demo_chain.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort::cli {
namespace {

namespace fs = std::filesystem;

bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// A process the demo started, its output in a file; killed (and reaped) when this goes,
// and by the kernel when the demo itself dies.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& output) {
    // The argument list is made before the fork: the child of a process with threads only
    // opens, duplicates and executes (an allocation there can wait on another thread's lock).
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() { stop(SIGKILL); }
  // Waits for it to end by itself; its exit status (-1 when it did not exit).
  int wait() {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

void writeHaproxyConfig(const fs::path& file, std::uint16_t port, const std::vector<GatewayConfig>& nodes) {
  std::ofstream out(file);
  out << "# Written by ketenpoort demo --cluster (docs/deployment-ha.md explains each line).\n"
      << "global\n  maxconn 2000\n"
      << "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n"
      << "  retries 2\n  option redispatch\n"
      << "frontend exchange\n  bind 127.0.0.1:" << port << "\n  default_backend nodes\n"
      << "backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n"
      << "  default-server inter 200ms fall 1 rise 2 on-marked-down shutdown-sessions\n";
  for (const GatewayConfig& n : nodes) {
    out << "  server " << n.storage_node_id << " 127.0.0.1:" << n.exchange.port << " check port " << n.ops.port << "\n";
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
int clusterDemo(const fs::path& workdir, std::size_t count) {
  fs::remove_all(workdir / "received");
  fs::remove_all(workdir / "logs");
  fs::create_directories(workdir / "logs");
  DemoEnvironment env =
      createDemoEnvironment(workdir, DemoPorts{freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()});
  const PostgresCluster postgres(workdir / "postgres.env");
  std::printf("cluster demo: PostgreSQL in a directory of its own (%s)\n",
              pg::redactedDsn(postgres.adminDsn()).c_str());

  // Every gemeente's system, refusing 30 % of deliveries (503) so that retries happen.
  std::vector<std::unique_ptr<GemeenteSimulator>> receivers;
  for (Party& party : env.config.parties) {
    if (party.role != PartyRole::kGemeente) continue;
    GemeenteSimulatorOptions o;
    o.receiver.tls = env.tlsOf(party.id);
    o.receiver.threads = 2;
    o.out_dir = workdir / "received" / party.id;
    o.fail_rate = 0.3;
    o.seed = receivers.size() + 11;
    receivers.push_back(std::make_unique<GemeenteSimulator>(o));
    receivers.back()->start();
    party.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(receivers.back()->port()) + "/berichten"}};
  }
  const auto stored = [&] {
    std::uint64_t n = 0;
    for (const auto& r : receivers) n += r->stored();
    return n;
  };

  // Two nodes: their own node id, ports and signing key; one subject key, copied.
  env.config.outbox.initial_backoff = std::chrono::milliseconds(20);
  env.config.outbox.max_backoff = std::chrono::milliseconds(200);
  env.config.outbox.max_attempts = 1000;
  env.config.outbox.delivery_timeout = std::chrono::milliseconds(1'000);
  env.config.outbox.lease = std::chrono::milliseconds(2'000);
  env.config.limits.threads = 1;
  env.config.storage_backend = StorageBackend::kPostgresql;
  env.config.storage_dsn = postgres.adminDsn();
  std::vector<GatewayConfig> nodes;
  std::vector<fs::path> config_files;
  for (const char* id : {"node-a", "node-b"}) {
    GatewayConfig node = env.config;
    node.storage_node_id = id;
    node.storage_key_dir = workdir / ("keys-" + std::string(id));
    fs::remove_all(node.storage_key_dir);
    fs::create_directories(node.storage_key_dir);
    if (nodes.empty()) {
      SubjectReferencer::loadOrCreate(node.storage_key_dir / "subject.key");
    } else {
      fs::copy_file(nodes.front().storage_key_dir / "subject.key", node.storage_key_dir / "subject.key");
      node.exchange.port = freeLoopbackPort();
      node.audit.port = freeLoopbackPort();
      node.ops.port = freeLoopbackPort();
    }
    config_files.push_back(workdir / (std::string(id) + ".xml"));
    std::ofstream(config_files.back()) << renderGatewayConfigXml(node, workdir);
    nodes.push_back(node);
  }
  std::printf("schema: %d migration(s) applied (ketenpoort db migrate)\n", migrateStore(nodes.front()));

  const std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::unique_ptr<Child>> gateways;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    gateways.push_back(
        std::make_unique<Child>(std::vector<std::string>{self, "serve", "--config", config_files[i].string()},
                                workdir / "logs" / (nodes[i].storage_node_id + ".log")));
  }
  const bool up = waitFor([&] { return accepting(nodes[0].exchange.port) && accepting(nodes[1].exchange.port); },
                          std::chrono::seconds(30));
  if (!up) throw std::runtime_error("the nodes did not start; see " + (workdir / "logs").string());
  const std::uint16_t haproxy_port = freeLoopbackPort();
  writeHaproxyConfig(workdir / "haproxy.cfg", haproxy_port, nodes);
  Child haproxy({"/usr/sbin/haproxy", "-db", "-f", (workdir / "haproxy.cfg").string()},
                workdir / "logs" / "haproxy.log");
  if (!waitFor([&] { return accepting(haproxy_port); }, std::chrono::seconds(10))) {
    throw std::runtime_error("HAProxy did not start; see " + (workdir / "logs/haproxy.log").string());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // its first health checks
  std::printf("nodes: node-a on :%u, node-b on :%u, behind HAProxy on :%u (TCP, TLS passed through)\n",
              nodes[0].exchange.port, nodes[1].exchange.port, haproxy_port);

  CoaSimulatorOptions push;
  push.gateway = demoClient(env, "coa", haproxy_port);
  push.gateway.timeout = std::chrono::seconds(5);
  push.count = count;
  push.concurrency = 4;
  push.keep_trying = std::chrono::seconds(40);
  std::printf("pushing %zu synthetic profiles as COA; the gemeenten's systems refuse 30 %% of deliveries\n", count);
  std::fflush(stdout);
  CoaSimulatorSummary summary;
  std::thread pusher([&] { summary = runCoaSimulator(push); });
  waitFor([&] { return stored() >= count / 3; }, std::chrono::seconds(60));
  gateways[0]->stop(SIGKILL);
  std::printf(
      "killed node-a (SIGKILL) after %llu deliveries; HAProxy sends on to node-b, which takes node-a's\n"
      "queued messages once their lease (2 s) has ended\n",
      static_cast<unsigned long long>(stored()));
  std::fflush(stdout);
  pusher.join();

  pg::Connection db(postgres.adminDsn());
  const auto delivered = [&] {
    return static_cast<std::uint64_t>(db.run("SELECT COUNT(*) FROM outbox WHERE state = 'delivered'").integer(0, 0));
  };
  waitFor([&] { return delivered() >= summary.accepted && stored() >= summary.accepted; }, std::chrono::seconds(60));
  gateways[1]->stop(SIGTERM);
  haproxy.stop(SIGKILL);
  std::uint64_t repeats = 0;
  for (auto& r : receivers) {
    r->stop();
    repeats += r->duplicates();
  }

  // What the receivers actually hold: one file per transaction they stored.
  std::map<std::string, std::size_t> files;
  for (const auto& f : fs::recursive_directory_iterator(workdir / "received")) {
    if (f.path().extension() == ".json") ++files[f.path().stem().string()];
  }
  std::size_t lost = 0;
  for (const auto& id : summary.transaction_ids) {
    if (!files.contains(id)) ++lost;
  }
  std::size_t duplicates = 0;
  for (const auto& [id, n] : files) duplicates += n > 1 ? n - 1 : 0;
  duplicates += stored() > files.size() ? stored() - files.size() : 0;
  const sql::Rows exchanges = db.run(
      "SELECT COUNT(*), COUNT(DISTINCT transaction_id), COUNT(DISTINCT node_id) FROM exchange_log "
      "WHERE flow IN ('coa.klantprofiel', 'coa.nareisprofiel')");
  const bool one_record_each = exchanges.integer(0, 0) == static_cast<std::int64_t>(summary.accepted) &&
                               exchanges.integer(0, 1) == static_cast<std::int64_t>(summary.accepted);
  const auto bodies_left = db.run("SELECT COUNT(*) FROM outbox_bodies").integer(0, 0);
  std::printf("log: %lld records of %lld transactions, written by %lld node(s); %lld bodies left in the outbox\n",
              static_cast<long long>(exchanges.integer(0, 0)), static_cast<long long>(exchanges.integer(0, 1)),
              static_cast<long long>(exchanges.integer(0, 2)), static_cast<long long>(bodies_left));

  // log verify, with each node's public key from its own key directory (not the database's).
  std::map<std::string, std::string> keys;
  for (const auto& node : nodes) {
    std::ifstream in(node.storage_key_dir / "log-signing.key.pub");
    keys[node.storage_node_id] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  const PgLogVerification verification = verifyPgLog(postgres.adminDsn(), keys, {});
  for (const auto& node : verification.nodes) {
    std::printf("log verify: node %s: %s, %llu records, %llu signed checkpoints%s\n", node.node_id.c_str(),
                node.verification.intact ? "intact" : ("NOT INTACT: " + node.verification.problem).c_str(),
                static_cast<unsigned long long>(node.verification.records_checked),
                static_cast<unsigned long long>(node.verification.checkpoints_checked),
                node.key_from_database ? " (key from the database)" : "");
  }
  const std::uint64_t delivered_count = delivered();
  std::printf("cluster: %zu accepted, %llu delivered, %zu lost, %zu duplicates, log verify %s\n", summary.accepted,
              static_cast<unsigned long long>(delivered_count), lost, duplicates,
              verification.intact ? "intact" : "NOT INTACT");
  std::printf(
      "(the receivers' idempotency check dropped %llu repeat(s): deliveries cut by the kill after the "
      "receiver had stored them, sent again under the same transaction id)\n",
      static_cast<unsigned long long>(repeats));
  const bool ok = summary.accepted == count && summary.unanswered == 0 && summary.refused.empty() && lost == 0 &&
                  duplicates == 0 && delivered_count == summary.accepted && one_record_each && bodies_left == 0 &&
                  verification.intact;
  return ok ? 0 : 1;
}

}  // namespace ketenpoort::cli
