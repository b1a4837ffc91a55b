// The end-to-end benchmark of issue 5 (docs/performance.md, run with tests/bench/e2e/run):
// C keep-alive mTLS connections push synthetic klantprofielen for D seconds
//   1. through ketenpoort's full path (parse, map, policy, durable log, outbox, delivery
//      to a simulated gemeente), and
//   2. through nginx configured as a plain TLS reverse proxy to the same receiver,
// with the same payloads, the same receiver process and the same client, and reports
// exchanges/s, p50/p99 latency and peak RSS of each, and the ratio gateway/nginx.
//
// The gateway answers 202 once the exchange is durable and delivers afterwards, so its
// exchanges/s counts deliveries: pushes accepted during the run divided by the time
// from the run's start until the receiver has stored the last of them. Its latency is the
// sender's (until 202). nginx answers after the receiver has stored the message, so for
// nginx accepted and delivered are the same.
//
// `wrk` cannot present client certificates; this client uses the gateway's own
// HttpsClient (one keep-alive connection per thread).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/coa_tvs/synthetic_coa.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort::bench {
namespace {

namespace fs = std::filesystem;
using TimeSource = std::chrono::steady_clock;

struct Options {
  unsigned connections = 32;
  std::chrono::seconds duration{20};
  std::chrono::seconds warmup{3};
  std::size_t payloads = 4000;
  fs::path workdir = "build/bench-e2e";
  fs::path ketenpoort = "build/ketenpoort";
  fs::path nginx = "/usr/sbin/nginx";
  std::uint16_t base_port = 18440;
  bool skip_nginx = false;
  // Gateway and nginx measured alternately this many times; the summary gives the median
  // and spread of each figure (one pair says little on a shared host, issue 26).
  unsigned pairs = 1;
  unsigned idle = 0;  // > 0: only measure memory with this many idle authenticated connections
  // The store (issue 15): SQLite by default; PostgreSQL in a private cluster started for
  // the run, with `nodes` gateway processes sharing it, behind HAProxy when `haproxy` (or
  // more than one node).
  bool postgres = false;
  unsigned nodes = 1;
  bool haproxy = false;
  fs::path haproxy_binary = "/usr/sbin/haproxy";
};

constexpr const char* kUsage = R"(usage: e2e_bench [--connections C] [--duration SECONDS] [--warmup SECONDS]
                 [--payloads N] [--workdir DIR] [--ketenpoort PATH] [--nginx PATH]
                 [--base-port PORT] [--skip-nginx] [--postgres] [--nodes N] [--haproxy] [--pairs N]
       e2e_bench --idle N [--workdir DIR] [--ketenpoort PATH] [--base-port PORT]
         (the gateway's resident memory with N idle authenticated mTLS connections)
)";

std::optional<Options> parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--skip-nginx" || flag == "--postgres" || flag == "--haproxy") {
      (flag == "--skip-nginx" ? o.skip_nginx : flag == "--postgres" ? o.postgres : o.haproxy) = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string value = argv[++i];
    try {
      if (flag == "--connections")
        o.connections = static_cast<unsigned>(std::stoul(value));
      else if (flag == "--duration")
        o.duration = std::chrono::seconds(std::stoul(value));
      else if (flag == "--pairs")
        o.pairs = std::max(1U, static_cast<unsigned>(std::stoul(value)));
      else if (flag == "--warmup")
        o.warmup = std::chrono::seconds(std::stoul(value));
      else if (flag == "--payloads")
        o.payloads = std::stoul(value);
      else if (flag == "--workdir")
        o.workdir = value;
      else if (flag == "--ketenpoort")
        o.ketenpoort = value;
      else if (flag == "--nginx")
        o.nginx = value;
      else if (flag == "--base-port")
        o.base_port = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--idle")
        o.idle = static_cast<unsigned>(std::stoul(value));
      else if (flag == "--nodes")
        o.nodes = static_cast<unsigned>(std::stoul(value));
      else
        return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (o.connections == 0 || o.duration.count() == 0 || o.payloads == 0 || o.nodes == 0 || o.nodes > 4) {
    return std::nullopt;
  }
  if (o.nodes > 1) o.postgres = o.haproxy = true;
  return o;
}

// A child process with its output in a file; stopped (and reaped) when it goes.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const fs::path& output) {
    // Made before the fork: between fork and exec the child only opens, duplicates and
    // executes (an allocation there can wait on a lock one of our threads held).
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      // Goes with the benchmark, however that ends.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0) _exit(126);
      ::execv(args[0], args.data());
      _exit(127);
    }
    if (pid_ < 0) throw std::runtime_error("cannot fork");
  }
  ~ChildProcess() { stop(SIGKILL); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

  // Sends `signal` and waits for the exit; returns the exit status (or -1).
  int stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

bool portAccepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A port some other process already listens on would make the run measure that process.
void requireFree(std::uint16_t port) {
  if (portAccepts(port)) {
    throw std::runtime_error("port " + std::to_string(port) +
                             " is in use by another process; choose other ports with --base-port");
  }
}

void waitForPort(std::uint16_t port, const ChildProcess& process, const char* what) {
  const auto deadline = TimeSource::now() + std::chrono::seconds(30);
  while (!portAccepts(port)) {
    if (!process.running() || TimeSource::now() > deadline) {
      throw std::runtime_error(std::string(what) + " did not start listening on port " + std::to_string(port));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Resident set now (VmRSS) of a process, in KiB; 0 when it cannot be read.
std::uint64_t rssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
  }
  return 0;
}

// Peak resident set (VmHWM) of a process, in KiB; 0 when it cannot be read.
std::uint64_t peakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6));
  }
  return 0;
}

// CPU time (user + system, all threads) a process has used so far, in milliseconds.
double cpuMs(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::vector<pid_t> childrenOf(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("PPid:")) {
        if (std::stol(line.substr(5)) == parent) out.push_back(std::stoi(name));
        break;
      }
    }
  }
  return out;
}

std::size_t storedDeliveries(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".json";
  return n;
}

struct Payload {
  std::string target;
  std::string xml;
};

struct LoadResult {
  std::uint64_t answered_ok = 0;                // 2xx
  std::map<std::string, std::uint64_t> errors;  // status code or transport error
  std::vector<double> latencies_ms;             // of the 2xx answers
  double seconds = 0;

  double percentile(double p) const {
    if (latencies_ms.empty()) return 0;
    const auto rank = static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1));
    return latencies_ms[rank];
  }
  std::uint64_t errorCount() const {
    std::uint64_t n = 0;
    for (const auto& [kind, count] : errors) n += count;
    return n;
  }
};

// `connections` threads, each with its own keep-alive mTLS connection, push payloads in
// turn until `duration` has passed. Each push carries its own X-Transaction-Id.
LoadResult runLoad(const HttpsClientOptions& server, const std::vector<Payload>& payloads, unsigned connections,
                   std::chrono::seconds duration) {
  std::mutex merge;
  LoadResult total;
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  TimeSource::time_point deadline;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      LoadResult mine;
      mine.latencies_ms.reserve(1 << 16);
      HttpsClient client(server);
      ++ready;
      while (!go.load()) std::this_thread::yield();
      for (std::size_t i = t; TimeSource::now() < deadline; i += connections) {
        const Payload& p = payloads[i % payloads.size()];
        const std::vector<std::pair<std::string, std::string>> headers{{"X-Doelbinding", "regie-inburgering"},
                                                                       {"Content-Type", "application/xml"},
                                                                       {"X-Transaction-Id", newUuidV7()}};
        const auto started = TimeSource::now();
        const auto answer = client.request("POST", p.target, headers, p.xml);
        const double ms = std::chrono::duration<double, std::milli>(TimeSource::now() - started).count();
        if (const auto* r = std::get_if<HttpsResponse>(&answer); r && r->status / 100 == 2) {
          ++mine.answered_ok;
          mine.latencies_ms.push_back(ms);
        } else if (r) {
          ++mine.errors["http-" + std::to_string(r->status)];
        } else {
          ++mine.errors[std::get<std::string>(answer)];
        }
      }
      std::lock_guard lock(merge);
      total.answered_ok += mine.answered_ok;
      for (const auto& [kind, count] : mine.errors) total.errors[kind] += count;
      total.latencies_ms.insert(total.latencies_ms.end(), mine.latencies_ms.begin(), mine.latencies_ms.end());
    });
  }
  while (ready.load() < connections) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto started = TimeSource::now();
  deadline = started + duration;
  go = true;
  for (auto& t : threads) t.join();
  total.seconds = std::chrono::duration<double>(TimeSource::now() - started).count();
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

struct Figures {
  std::string name;
  double exchanges_per_second = 0;
  double accepted_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double peak_rss_mib = 0;
  std::uint64_t exchanges = 0;
  std::uint64_t errors = 0;
  double drain_seconds = 0;                 // after the run, until the receiver had everything
  double cpu_ms_per_exchange = 0;           // of the gateway's or nginx's processes, during the run
  double database_cpu_ms_per_exchange = 0;  // PostgreSQL's processes, when the store is there
  double proxy_cpu_ms_per_exchange = 0;     // HAProxy's, when it is in front
};

// The figures both paths share, from a measured run.
Figures figuresOf(std::string name, const LoadResult& run, double cpu_used_ms, std::uint64_t rss_kib) {
  Figures f;
  f.name = std::move(name);
  f.exchanges = run.answered_ok;
  f.errors = run.errorCount();
  f.accepted_per_second = static_cast<double>(run.answered_ok) / run.seconds;
  f.exchanges_per_second = f.accepted_per_second;
  f.p50_ms = run.percentile(0.50);
  f.p99_ms = run.percentile(0.99);
  f.peak_rss_mib = static_cast<double>(rss_kib) / 1024.0;
  f.cpu_ms_per_exchange = run.answered_ok ? cpu_used_ms / static_cast<double>(run.answered_ok) : 0;
  return f;
}

void printErrors(const char* what, const LoadResult& r) {
  for (const auto& [kind, count] : r.errors) {
    std::fprintf(stderr, "  %s: %llu × %s\n", what, static_cast<unsigned long long>(count), kind.c_str());
  }
}

// Waits until the receiver has stored `expected` deliveries; returns when it had.
TimeSource::time_point waitForDeliveries(const fs::path& dir, std::size_t expected) {
  const auto deadline = TimeSource::now() + std::chrono::minutes(5);
  while (storedDeliveries(dir) < expected) {
    if (TimeSource::now() > deadline) throw std::runtime_error("the gateway did not deliver everything in 5 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return TimeSource::now();
}

// The CPU time of a PostgreSQL cluster's processes: the postmaster and its backends.
double postgresCpuMs(const PostgresCluster& cluster) {
  std::ifstream pidfile(cluster.directory() / "data" / "postmaster.pid");
  pid_t postmaster = 0;
  pidfile >> postmaster;
  if (postmaster <= 0) return 0;
  double ms = cpuMs(postmaster);
  for (pid_t child : childrenOf(postmaster)) ms += cpuMs(child);
  return ms;
}

void writeHaproxyConfig(const fs::path& file, std::uint16_t listen, const std::vector<GatewayConfig>& nodes) {
  std::ofstream out(file);
  out << "global\n  maxconn 4096\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n"
      << "  timeout server 60s\nfrontend exchange\n  bind 127.0.0.1:" << listen << "\n  default_backend nodes\n"
      << "backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n  default-server inter 500ms\n";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    out << "  server node" << i << " 127.0.0.1:" << nodes[i].exchange.port << " check port " << nodes[i].ops.port
        << "\n";
  }
}

Figures measureGateway(const Options& o, const DemoEnvironment& env, const fs::path& received,
                       const std::vector<Payload>& payloads) {
  // The nodes' configs: the demo's, or with a PostgreSQL store, one per node on ports of
  // its own (base + 20 + 3 i), one subject key for all.
  std::unique_ptr<PostgresCluster> postgres;
  std::vector<GatewayConfig> nodes{env.config};
  std::vector<fs::path> config_files{env.config_file};
  if (o.postgres) {
    postgres = std::make_unique<PostgresCluster>(o.workdir / "postgres.env");
    nodes.clear();
    config_files.clear();
    for (unsigned i = 0; i < o.nodes; ++i) {
      GatewayConfig node = env.config;
      node.storage_backend = StorageBackend::kPostgresql;
      node.storage_dsn = postgres->adminDsn();
      node.storage_node_id = "node-" + std::to_string(i);
      node.storage_key_dir = fs::absolute(o.workdir / ("keys-" + std::to_string(i)));
      fs::create_directories(node.storage_key_dir);
      if (i > 0) fs::copy_file(nodes[0].storage_key_dir / "subject.key", node.storage_key_dir / "subject.key");
      if (i > 0 || o.haproxy) {
        const auto port = static_cast<std::uint16_t>(o.base_port + 20 + 3 * i);
        node.exchange.port = port;
        node.audit.port = static_cast<std::uint16_t>(port + 1);
        node.ops.port = static_cast<std::uint16_t>(port + 2);
      }
      config_files.push_back(env.workdir / ("node-" + std::to_string(i) + ".xml"));
      std::ofstream(config_files.back()) << renderGatewayConfigXml(node, env.workdir);
      if (i == 0) {
        // The subject key is made by the first node's store; copied before the next starts.
        const std::string migrate = o.ketenpoort.string() + " db migrate --config " + config_files.back().string() +
                                    " > " + (o.workdir / "migrate.log").string() + " 2>&1";
        if (std::system(migrate.c_str()) != 0) throw std::runtime_error("db migrate failed");
        SubjectReferencer::loadOrCreate(node.storage_key_dir / "subject.key");
      }
      nodes.push_back(node);
    }
  }
  std::vector<std::unique_ptr<ChildProcess>> gateways;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    gateways.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{o.ketenpoort.string(), "serve", "--config", config_files[i].string()},
        o.workdir / ("gateway-" + std::to_string(i) + ".log")));
    waitForPort(nodes[i].exchange.port, *gateways.back(), "the gateway");
  }
  std::unique_ptr<ChildProcess> haproxy;
  std::uint16_t port = nodes[0].exchange.port;
  if (o.haproxy) {
    port = static_cast<std::uint16_t>(o.base_port + 6);
    writeHaproxyConfig(o.workdir / "haproxy.cfg", port, nodes);
    haproxy = std::make_unique<ChildProcess>(
        std::vector<std::string>{o.haproxy_binary.string(), "-db", "-f", (o.workdir / "haproxy.cfg").string()},
        o.workdir / "haproxy.log");
    waitForPort(port, *haproxy, "haproxy");
    std::this_thread::sleep_for(std::chrono::seconds(2));  // its first health checks
  }
  const HttpsClientOptions client{
      "127.0.0.1", port, env.pkiDir() / "ca.pem", env.certificateOf("coa"), env.keyOf("coa"), std::chrono::seconds(30)};
  // The receiver's directory starts empty; the warm-up is delivered before the run starts.
  const LoadResult warm = runLoad(client, payloads, o.connections, o.warmup);
  waitForDeliveries(received, warm.answered_ok);
  const std::size_t start_count = storedDeliveries(received);

  const auto gatewayCpuMs = [&] {
    double ms = 0;
    for (const auto& g : gateways) ms += cpuMs(g->pid());
    return ms;
  };
  const double cpu_before = gatewayCpuMs();
  const double database_cpu_before = postgres ? postgresCpuMs(*postgres) : 0;
  const double haproxy_cpu_before = haproxy ? cpuMs(haproxy->pid()) : 0;
  const auto started = TimeSource::now();
  const LoadResult run = runLoad(client, payloads, o.connections, o.duration);
  const auto run_end = TimeSource::now();
  const auto drained = waitForDeliveries(received, start_count + run.answered_ok);
  const double cpu_used = gatewayCpuMs() - cpu_before;
  printErrors("gateway", run);

  std::uint64_t rss = 0;
  for (const auto& g : gateways) rss += peakRssKib(g->pid());
  std::string name = "ketenpoort (full path)";
  if (o.postgres) name = "ketenpoort on PostgreSQL, " + std::to_string(o.nodes) + " node(s)";
  if (o.haproxy) name += " behind HAProxy";
  Figures f = figuresOf(name, run, cpu_used, rss);
  // Delivered, not just accepted: until the receiver had the last of them.
  f.exchanges_per_second =
      static_cast<double>(run.answered_ok) / std::chrono::duration<double>(drained - started).count();
  f.drain_seconds = std::chrono::duration<double>(drained - run_end).count();
  if (run.answered_ok > 0) {
    if (postgres)
      f.database_cpu_ms_per_exchange =
          (postgresCpuMs(*postgres) - database_cpu_before) / static_cast<double>(run.answered_ok);
    if (haproxy)
      f.proxy_cpu_ms_per_exchange = (cpuMs(haproxy->pid()) - haproxy_cpu_before) / static_cast<double>(run.answered_ok);
  }
  haproxy.reset();
  for (auto& g : gateways) {
    if (g->stop(SIGTERM) != 0) std::fprintf(stderr, "a gateway did not stop cleanly\n");
  }
  return f;
}

void writeNginxConfig(const fs::path& prefix, const DemoEnvironment& env, std::uint16_t listen,
                      std::uint16_t receiver) {
  fs::create_directories(prefix / "logs");
  fs::create_directories(prefix / "temp");
  const auto pki = env.pkiDir().string();
  std::ofstream(prefix / "nginx.conf") << R"(# Written by e2e_bench: a plain TLS reverse proxy, the baseline.
worker_processes auto;
pid )" << (prefix / "nginx.pid").string()
                                       << R"(;
error_log )" << (prefix / "logs/error.log").string()
                                       << R"( warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path )" << (prefix / "temp").string()
                                       << R"(;
  client_body_buffer_size 1m;
  client_max_body_size 4m;
  upstream gemeente {
    server 127.0.0.1:)" << receiver << R"(;
    keepalive 256;
  }
  server {
    listen 127.0.0.1:)" << listen << R"( ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate )" << pki << R"(/gateway.pem;
    ssl_certificate_key )" << pki << R"(/gateway.key;
    ssl_client_certificate )" << pki << R"(/ca.pem;
    ssl_verify_client on;
    keepalive_requests 1000000;
    location /v1/berichten/ {
      proxy_pass https://gemeente/berichten/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate )" << pki << R"(/gateway.pem;
      proxy_ssl_certificate_key )" << pki
                                       << R"(/gateway.key;
      proxy_ssl_trusted_certificate )" << pki
                                       << R"(/ca.pem;
      proxy_ssl_verify on;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
    }
  }
}
)";
}

Figures measureNginx(const Options& o, const DemoEnvironment& env, std::uint16_t receiver_port,
                     const std::vector<Payload>& payloads) {
  const fs::path prefix = fs::absolute(o.workdir / "nginx");
  const std::uint16_t port = o.base_port + 5;
  writeNginxConfig(prefix, env, port, receiver_port);
  ChildProcess nginx({o.nginx.string(), "-p", prefix.string(), "-c", (prefix / "nginx.conf").string(), "-e",
                      (prefix / "logs/error.log").string(), "-g", "daemon off;"},
                     o.workdir / "nginx.log");
  waitForPort(port, nginx, "nginx");
  const HttpsClientOptions client{
      "127.0.0.1", port, env.pkiDir() / "ca.pem", env.certificateOf("coa"), env.keyOf("coa"), std::chrono::seconds(30)};
  runLoad(client, payloads, o.connections, o.warmup);
  const auto nginxCpuMs = [&nginx] {
    double ms = cpuMs(nginx.pid());
    for (pid_t worker : childrenOf(nginx.pid())) ms += cpuMs(worker);
    return ms;
  };
  const double cpu_before = nginxCpuMs();
  const LoadResult run = runLoad(client, payloads, o.connections, o.duration);
  const double cpu_used = nginxCpuMs() - cpu_before;
  printErrors("nginx", run);

  std::uint64_t rss = peakRssKib(nginx.pid());
  for (pid_t worker : childrenOf(nginx.pid())) rss += peakRssKib(worker);
  const Figures f = figuresOf("nginx (TLS proxy only)", run, cpu_used, rss);
  nginx.stop(SIGQUIT);
  return f;
}

std::string machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(std::thread::hardware_concurrency()) + " vCPU " + model;
}

// Opens `o.idle` mTLS connections as COA, each answered once (GET /v1/whoami) and then
// left idle, and reads the gateway's resident set before and after.
int measureIdle(const Options& o, const DemoEnvironment& env) {
  ChildProcess gateway({o.ketenpoort.string(), "serve", "--config", env.config_file.string()},
                       o.workdir / "gateway.log");
  waitForPort(env.config.exchange.port, gateway, "the gateway");
  const HttpsClientOptions client{
      "127.0.0.1",      env.config.exchange.port, env.pkiDir() / "ca.pem", env.certificateOf("coa"),
      env.keyOf("coa"), std::chrono::seconds(30)};
  {  // one connection first, so start-up allocations are in the baseline
    HttpsClient warm(client);
    warm.request("GET", "/v1/whoami");
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::uint64_t before = rssKib(gateway.pid());
  std::vector<std::unique_ptr<HttpsClient>> clients;
  std::size_t failed = 0;
  for (unsigned i = 0; i < o.idle; ++i) {
    clients.push_back(std::make_unique<HttpsClient>(client));
    const auto answer = clients.back()->request("GET", "/v1/whoami");
    if (!std::holds_alternative<HttpsResponse>(answer) || std::get<HttpsResponse>(answer).status != 200) ++failed;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::uint64_t after = rssKib(gateway.pid());
  std::printf("idle: %u authenticated mTLS connections on %s\n", o.idle, machine().c_str());
  std::printf(
      "| gateway RSS before | with %u idle connections | per connection | failed |\n"
      "|---:|---:|---:|---:|\n| %.1f MiB | %.1f MiB | %.1f KiB | %zu |\n",
      o.idle, static_cast<double>(before) / 1024.0, static_cast<double>(after) / 1024.0,
      static_cast<double>(after - before) / o.idle, failed);
  clients.clear();
  gateway.stop(SIGTERM);
  return failed == 0 ? 0 : 1;
}

// Each pair's figures, then the median and the spread (lowest–highest) of the throughput
// ratio and of CPU ms per exchange for both paths.
void reportPairs(const std::vector<std::pair<Figures, Figures>>& pairs) {
  std::printf(
      "\n| pair | gateway exchanges/s | nginx exchanges/s | ratio | gateway CPU ms/exchange | "
      "nginx CPU ms/exchange |\n|---:|---:|---:|---:|---:|---:|\n");
  std::vector<double> gateway_rate, nginx_rate, ratio, gateway_cpu, nginx_cpu;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& [g, n] = pairs[i];
    gateway_rate.push_back(g.exchanges_per_second);
    nginx_rate.push_back(n.exchanges_per_second);
    ratio.push_back(n.exchanges_per_second > 0 ? g.exchanges_per_second / n.exchanges_per_second : 0);
    gateway_cpu.push_back(g.cpu_ms_per_exchange);
    nginx_cpu.push_back(n.cpu_ms_per_exchange);
    std::printf("| %zu | %.0f | %.0f | %.2f | %.3f | %.3f |\n", i + 1, gateway_rate.back(), nginx_rate.back(),
                ratio.back(), gateway_cpu.back(), nginx_cpu.back());
  }
  const auto spread = [](std::vector<double> values, const char* format) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    char text[96];
    std::snprintf(text, sizeof text, format, median, values.front(), values.back());
    return std::string(text);
  };
  std::printf("\nmedian (lowest–highest) over %zu pairs:\n", pairs.size());
  std::printf("  gateway exchanges/s %s, nginx %s\n", spread(gateway_rate, "%.0f (%.0f–%.0f)").c_str(),
              spread(nginx_rate, "%.0f (%.0f–%.0f)").c_str());
  std::printf("  ratio gateway/nginx %s\n", spread(ratio, "%.2f (%.2f–%.2f)").c_str());
  std::printf("  CPU ms/exchange: gateway %s, nginx %s\n", spread(gateway_cpu, "%.3f (%.3f–%.3f)").c_str(),
              spread(nginx_cpu, "%.3f (%.3f–%.3f)").c_str());
}

int run(const Options& o) {
  fs::remove_all(o.workdir);
  fs::create_directories(o.workdir);
  DemoPorts ports;
  ports.exchange = o.base_port;
  ports.audit = static_cast<std::uint16_t>(o.base_port + 1);
  ports.ops = static_cast<std::uint16_t>(o.base_port + 2);
  ports.gemeente_receivers = static_cast<std::uint16_t>(o.base_port + 10);
  const DemoEnvironment env = createDemoEnvironment(o.workdir / "env", ports);
  if (o.idle > 0) return measureIdle(o, env);
  const Party* amsterdam = env.config.findPartyById("gemeente-0363");
  const auto receiver_url = parseHttpsUrl(amsterdam->endpoints.at(0).url);
  for (std::uint16_t port :
       {ports.exchange, ports.audit, ports.ops, receiver_url->port, static_cast<std::uint16_t>(o.base_port + 5)}) {
    requireFree(port);
  }
  const fs::path received = fs::absolute(o.workdir / "received");
  fs::create_directories(received);

  // One receiver for both runs: Amsterdam's system, storing each delivery once.
  ChildProcess receiver({o.ketenpoort.string(), "simulate", "gemeente", "--listen", std::to_string(receiver_url->port),
                         "--party", "gemeente-0363", "--out", received.string(), "--pki", env.pkiDir().string()},
                        o.workdir / "receiver.log");
  waitForPort(receiver_url->port, receiver, "the gemeente receiver");

  // Synthetic persons, all gekoppeld to Amsterdam so that every push has one receiver.
  SyntheticCoa coa(2026, {"0363"});
  std::vector<Payload> payloads;
  for (std::size_t i = 0; i < o.payloads; ++i) {
    SyntheticProfile p = coa.next();
    payloads.push_back({"/v1/berichten/" + p.flow, std::move(p.xml)});
  }

  std::printf("e2e: %u connections, %llds measured after %llds warm-up, %zu synthetic profiles, on %s\n", o.connections,
              static_cast<long long>(o.duration.count()), static_cast<long long>(o.warmup.count()), payloads.size(),
              machine().c_str());
  std::fflush(stdout);
  std::vector<Figures> figures{measureGateway(o, env, received, payloads)};
  if (!o.skip_nginx) figures.push_back(measureNginx(o, env, receiver_url->port, payloads));
  std::vector<std::pair<Figures, Figures>> pairs;
  if (!o.skip_nginx) pairs.emplace_back(figures[0], figures[1]);
  for (unsigned pair = 1; pair < o.pairs && !o.skip_nginx; ++pair) {
    Figures gateway = measureGateway(o, env, received, payloads);
    Figures nginx = measureNginx(o, env, receiver_url->port, payloads);
    pairs.emplace_back(std::move(gateway), std::move(nginx));
  }
  receiver.stop(SIGTERM);
  if (pairs.size() > 1) reportPairs(pairs);

  std::printf(
      "\n| path | exchanges/s | accepted/s | p50 ms | p99 ms | peak RSS MiB | CPU ms/exchange "
      "| exchanges | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& f : figures) {
    std::printf("| %s | %.0f | %.0f | %.2f | %.2f | %.1f | %.3f | %llu | %llu |\n", f.name.c_str(),
                f.exchanges_per_second, f.accepted_per_second, f.p50_ms, f.p99_ms, f.peak_rss_mib,
                f.cpu_ms_per_exchange, static_cast<unsigned long long>(f.exchanges),
                static_cast<unsigned long long>(f.errors));
  }
  std::printf("\ngateway: last delivery %.2f s after the run ended\n", figures[0].drain_seconds);
  if (o.postgres) {
    std::printf("PostgreSQL's processes: %.3f CPU ms/exchange\n", figures[0].database_cpu_ms_per_exchange);
  }
  if (o.haproxy) std::printf("HAProxy: %.3f CPU ms/exchange\n", figures[0].proxy_cpu_ms_per_exchange);
  boost::json::object results{
      {"machine", machine()}, {"connections", o.connections}, {"duration_s", o.duration.count()}};
  for (const auto& f : figures) {
    results[f.name] = {{"exchanges_per_s", f.exchanges_per_second},
                       {"accepted_per_s", f.accepted_per_second},
                       {"database_cpu_ms_per_exchange", f.database_cpu_ms_per_exchange},
                       {"proxy_cpu_ms_per_exchange", f.proxy_cpu_ms_per_exchange},
                       {"p50_ms", f.p50_ms},
                       {"p99_ms", f.p99_ms},
                       {"peak_rss_mib", f.peak_rss_mib},
                       {"cpu_ms_per_exchange", f.cpu_ms_per_exchange},
                       {"exchanges", f.exchanges},
                       {"errors", f.errors}};
  }
  if (figures.size() == 2 && figures[1].exchanges_per_second > 0) {
    const double ratio = figures[0].exchanges_per_second / figures[1].exchanges_per_second;
    results["ratio_gateway_to_nginx"] = ratio;
    std::printf("ratio gateway/nginx (exchanges/s): %.2f%s\n", ratio,
                ratio < 0.5 ? "  (below 0.5: the design needs another look)" : "");
  }
  std::ofstream(o.workdir / "results.json") << boost::json::serialize(results) << "\n";
  std::printf("results: %s\n", (o.workdir / "results.json").c_str());
  // Every measured push must have been answered 2xx; errors make the run fail.
  for (const auto& f : figures) {
    if (f.errors > 0 || f.exchanges == 0) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ketenpoort::bench

int main(int argc, char** argv) {
  const auto options = ketenpoort::bench::parseOptions(argc, argv);
  if (!options) {
    std::cerr << ketenpoort::bench::kUsage;
    return 2;
  }
  try {
    return ketenpoort::bench::run(*options);
  } catch (const std::exception& e) {
    std::cerr << "e2e_bench: " << e.what() << "\n";
    return 1;
  }
}
