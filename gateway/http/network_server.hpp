#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
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

  // Starts accepting on the network threads. `health` is the log /readyz reports on.
  // With handle_signals, SIGTERM and SIGINT begin a drain (a second stops at once).
  void start(Router exchange, Router audit, const ExchangeLog* health, bool handle_signals);

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
