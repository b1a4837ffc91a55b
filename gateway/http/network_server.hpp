#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/http/routing.hpp"
#include "gateway/store/exchange_log.hpp"

namespace boost::asio {
class io_context;
}

namespace ketenpoort {

// The network half of a gateway: the exchange and audit mTLS listeners and the ops
// listener on one pool of network threads, the two worker pools route handlers hand
// blocking work to, signals and drain. What answers behind the listeners (routers, store,
// delivery) is built by the composition root (gateway/runtime) and handed in at start.
// Asio and Beast stay behind this header.
//
// Lifecycle: construct (loads TLS material, binds every port; throws std::runtime_error
// with a readable message when that fails) → start(routers) → … → drain() from any
// thread or a signal → wait() returns once every connection is done or the drain timeout
// passed.
class NetworkServer {
 public:
  using Work = std::function<void()>;

  explicit NetworkServer(const GatewayConfig& config);
  ~NetworkServer();
  NetworkServer(const NetworkServer&) = delete;
  NetworkServer& operator=(const NetworkServer&) = delete;

  // The io_context of the network threads, for parts that run there too (deliveries).
  boost::asio::io_context& network();
  // Runs `work` on a network thread: at once when called on one, else posted.
  void runOnNetwork(Work work);
  // Database reads and other blocking work of request handlers: never on a network thread.
  void runBlocking(Work work);
  // Questions to source systems (DUO), which may take up to <queries timeout-ms> each.
  void runQuery(Work work);
  GatewayMetrics& metrics();

  // Starts accepting on the network threads, answering with `routing`. `health` is the
  // log /readyz reports on. With handle_signals, SIGTERM and SIGINT begin a drain (a second
  // stops at once), and SIGHUP runs `on_hangup` (when given) on a blocking thread: the
  // reload of the configuration.
  // `reload_status`, when given, is what the ops listener's /reloadz answers (JSON).
  void start(std::shared_ptr<const Routing> routing, const ExchangeLog* health, bool handle_signals,
             std::function<void()> on_hangup = nullptr, std::function<std::string()> reload_status = nullptr);
  // From now on, new requests are answered with `routing`; those under way finish on the
  // one they began on. Thread-safe.
  void replaceRouting(std::shared_ptr<const Routing> routing);
  // Loads the listeners' TLS files anew (as a reload names them) and takes them for new
  // connections when they load. Returns the problems; with any, nothing changed.
  std::vector<std::string> useTlsFiles(const TlsFiles& files);
  // The gateway's certificate as its own requests present it (delivery, source systems):
  // replaced together with the listeners' when the TLS files change or a reload names others.
  std::shared_ptr<const ClientTls> clientTls() const;

  // Stops accepting, turns /readyz unready, lets requests in flight finish, closes idle
  // connections. Thread-safe and idempotent.
  void drain();
  // Stops the network threads at once (connections are cut). Thread-safe.
  void stopNow();
  // Blocks until the network threads have stopped. True when every connection ended
  // within the drain timeout.
  bool wait();

  std::uint16_t exchangePort() const;
  std::uint16_t auditPort() const;
  std::uint16_t opsPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ketenpoort
