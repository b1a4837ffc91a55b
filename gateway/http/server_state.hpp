#pragma once
// Internal to the http module: state every listener of one gateway shares.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/calendar/time_source.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/http/routing.hpp"
#include "gateway/http/tls_stream.hpp"
#include "gateway/store/exchange_log.hpp"

namespace ketenpoort::http_internal {

// One open TLS connection, as the drain sees it. `stream` and `idle` are touched only on
// the connection's own strand (`executor`), so the drain posts its work there.
struct TrackedConnection {
  boost::asio::any_io_executor executor;
  TlsStream* stream = nullptr;
  bool idle = false;         // waiting for the first byte of a request
  bool handshaking = false;  // TLS handshake not finished: not yet anyone's connection
  bool evicted = false;      // closed to make room for others while handshaking
};

// Fair admission: connections that have not finished their TLS handshake are nobody's
// yet, so they must not be able to take every slot from parties that authenticate. They
// are limited in number, overall and per source address; past a limit the oldest one
// (the one that has held its slot longest without authenticating) is evicted, so a flood
// of idle sockets pushes out only itself. Shared by both mTLS listeners; thread-safe.
class HandshakeAdmission {
 public:
  using Connection = std::shared_ptr<TrackedConnection>;

  // A connection starts its handshake from `address`; returns the ones to evict for it
  // (the oldest of its address past the per-address limit, the oldest overall past the
  // total limit).
  std::vector<std::pair<Connection, const char*>> begin(const Connection& c, const std::string& address,
                                                        const Limits& limits) {
    std::vector<std::pair<Connection, const char*>> evict;
    std::lock_guard lock(mutex_);
    entries_.push_back({c, address});
    if (++per_address_[address] > limits.max_handshakes_per_address) {
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->address == address) {
          evict.emplace_back(takeLocked(it), "per-address");
          break;
        }
      }
    }
    while (entries_.size() > limits.max_handshakes) evict.emplace_back(takeLocked(entries_.begin()), "max-handshakes");
    if (!evict.empty()) last_eviction_ = systemTime().monotonicNow();
    return evict;
  }

  // The handshake finished (either way) or the connection was evicted.
  void end(const Connection& c) {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->connection == c) {
        takeLocked(it);
        return;
      }
    }
  }

  // Makes room when every connection slot is taken: the oldest handshaking connection,
  // or null when all are authenticated parties (then the new socket is refused).
  Connection evictOldest() {
    std::lock_guard lock(mutex_);
    if (entries_.empty()) return nullptr;
    last_eviction_ = systemTime().monotonicNow();
    return takeLocked(entries_.begin());
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

  // Under pressure new handshakes get the short deadline: half the slots are in use.
  bool underPressure(const Limits& limits) const { return size() * 2 >= limits.max_handshakes; }

  // Saturated: a connection was evicted within `window` (for /readyz).
  bool evictedWithin(std::chrono::steady_clock::duration window) const {
    std::lock_guard lock(mutex_);
    return last_eviction_ && systemTime().monotonicNow() - *last_eviction_ < window;
  }

 private:
  struct Entry {
    Connection connection;
    std::string address;
  };
  Connection takeLocked(std::list<Entry>::iterator it) {
    Connection c = std::move(it->connection);
    if (--per_address_[it->address] == 0) per_address_.erase(it->address);
    entries_.erase(it);
    return c;
  }

  mutable std::mutex mutex_;
  std::list<Entry> entries_;  // oldest first
  std::unordered_map<std::string, std::size_t> per_address_;
  std::optional<std::chrono::steady_clock::time_point> last_eviction_;
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
  // The configuration the server started with: listeners, threads, drain. What a reload
  // changes is in the routing.
  const GatewayConfig& config;

  std::shared_ptr<const Routing> routing() const {
    std::lock_guard lock(routing_mutex_);
    return routing_;
  }
  void setRouting(std::shared_ptr<const Routing> next) {
    std::lock_guard lock(routing_mutex_);
    routing_ = std::move(next);
  }

  const ExchangeLog* exchange_log = nullptr;  // set before the listeners start
  // The ops listener's /reloadz (JSON: the process, the configuration in force, the last
  // reload); none: not served. Set before the listeners start.
  std::function<std::string()> reload_status;
  GatewayMetrics metrics;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_tls_connections{0};
  ConnectionRegistry connections;
  HandshakeAdmission handshakes;

 private:
  mutable std::mutex routing_mutex_;
  std::shared_ptr<const Routing> routing_;
};

}  // namespace ketenpoort::http_internal
