#pragma once
// Internal to the http module: the listeners a NetworkServer owns.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <string>

#include "gateway/api/party_directory.hpp"
#include "gateway/api/router.hpp"
#include "gateway/http/http_io.hpp"
#include "gateway/http/server_state.hpp"
#include "gateway/http/server_tls.hpp"

namespace ketenpoort::http_internal {

// Binds and listens; throws std::runtime_error naming the listener when that fails.
tcp::acceptor openAcceptor(asio::io_context& ioc, const std::string& name, const ListenerConfig& config);

// An mTLS listener: the exchange API (every party) or the audit API (privacy officers).
class TlsListener {
 public:
  TlsListener(asio::io_context& ioc, ServerState& state, std::string name, const ListenerConfig& config,
              const ServerTls& tls, bool privacy_officers_only);

  std::uint16_t port() const { return port_; }
  // Accepts connections; their requests go to the state's current routing (the audit
  // router for the privacy officers' listener, else the exchange router).
  void start();
  void close();  // thread-safe

 private:
  asio::awaitable<void> session(tcp::socket socket);
  // Closes a connection still in its TLS handshake to make room (fair admission).
  void evict(const std::shared_ptr<TrackedConnection>& victim, const char* reason);

  ServerState& state_;
  std::string name_;
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  const ServerTls& tls_;
  bool privacy_officers_only_;
};

// Plain HTTP on loopback: /healthz, /readyz, /metrics.
class OpsListener {
 public:
  OpsListener(asio::io_context& ioc, ServerState& state, const ListenerConfig& config);

  std::uint16_t port() const { return port_; }
  void start();
  void close();  // thread-safe

 private:
  asio::awaitable<void> session(tcp::socket socket);
  ApiResponse respond(const std::string& method, const std::string& path) const;
  // What /readyz answers: "ready", or why not (draining, starting, log-unavailable, saturated).
  const char* readiness() const;

  ServerState& state_;
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::atomic<std::size_t> open_{0};
};

}  // namespace ketenpoort::http_internal
