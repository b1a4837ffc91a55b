#pragma once
// Internal to the http module: state every listener of one gateway shares.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/store/exchange_log.hpp"

namespace ketenpoort::http_internal {

// One open TLS connection, as the drain sees it. `stream` and `idle` are touched only on
// the connection's own strand (`executor`), so the drain posts its work there.
struct TrackedConnection {
  boost::asio::any_io_executor executor;
  boost::beast::tcp_stream* stream = nullptr;
  bool idle = false;  // waiting for the first byte of a request
};

class ConnectionRegistry {
 public:
  void add(const std::shared_ptr<TrackedConnection>& c) {
    std::lock_guard lock(mutex_);
    connections_.insert(c);
  }
  void remove(const std::shared_ptr<TrackedConnection>& c) {
    std::lock_guard lock(mutex_);
    connections_.erase(c);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }
  // Closes connections that sit between requests; busy ones finish their request and
  // then see the draining flag.
  void closeIdle() {
    std::lock_guard lock(mutex_);
    for (const auto& c : connections_) {
      boost::asio::post(c->executor, [c] {
        if (c->stream != nullptr && c->idle) c->stream->cancel();
      });
    }
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::shared_ptr<TrackedConnection>> connections_;
};

struct ServerState {
  explicit ServerState(const GatewayConfig& c) : config(c) {}
  const GatewayConfig& config;
  const ExchangeLog* exchange_log = nullptr;  // set before the listeners start
  GatewayMetrics metrics;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_tls_connections{0};
  ConnectionRegistry connections;
};

}  // namespace ketenpoort::http_internal
