#include "gateway/http/network_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <csignal>
#include <optional>
#include <stdexcept>
#include <thread>

#include "gateway/calendar/time_source.hpp"
#include "gateway/http/listeners.hpp"
#include "gateway/http/server_tls.hpp"

namespace ketenpoort {

using namespace http_internal;

namespace http_internal {
tcp::acceptor openAcceptor(asio::io_context& ioc, const std::string& name, const ListenerConfig& config) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(config.address, ec);
  if (ec) throw std::runtime_error(name + " listener: bad address " + config.address);
  const tcp::endpoint endpoint(address, config.port);
  tcp::acceptor acceptor(asio::make_strand(ioc));
  const auto fail = [&](const char* step) {
    throw std::runtime_error(name + " listener: cannot " + step + " " + config.address + ":" +
                             std::to_string(config.port) + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) fail("configure");
  acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  return acceptor;
}
}  // namespace http_internal

struct NetworkServer::Impl {
  explicit Impl(const GatewayConfig& c)
      : config(c),
        state(config),
        tls(config.tls, state.metrics),
        exchange(ioc, state, "exchange", config.exchange, tls, false),
        audit(ioc, state, "audit", config.audit, tls, true),
        ops(ioc, state, config.ops),
        signals(ioc) {}

  asio::awaitable<void> drainSequence() {
    exchange.close();
    audit.close();
    state.connections.closeIdle();
    const auto deadline = systemTime().monotonicNow() + config.limits.drain_timeout;
    asio::steady_timer tick(ioc);
    while (state.connections.size() > 0 && systemTime().monotonicNow() < deadline) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(kUseTuple);
    }
    const std::size_t left = state.connections.size();
    drained_in_time = left == 0;
    if (left > 0) {
      logWarn("drain-timeout", {{"connections_cut", left}});
    } else {
      logInfo("drained", {});
    }
    ops.close();
    ioc.stop();
  }

  void waitForSignal() {
    signals.async_wait([this](const beast::error_code& ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        // A reload reads and checks files: on a blocking thread, never a network thread.
        logInfo("signal", {{"signal", signal_number}, {"action", "reload"}});
        if (on_hangup) asio::post(blocking_pool, on_hangup);
        waitForSignal();
        return;
      }
      if (state.draining.load()) {
        logWarn("stopping-now", {{"signal", signal_number}});
        ioc.stop();
        return;
      }
      logInfo("signal", {{"signal", signal_number}, {"action", "drain"}});
      startDrain();
      waitForSignal();
    });
  }

  void startDrain() {
    if (state.draining.exchange(true)) return;
    state.ready.store(false);
    asio::co_spawn(ioc, drainSequence(), logEscapedException("drain"));
  }

  // Every check-files interval, on a blocking thread: the TLS files changed on disk?
  asio::awaitable<void> watchTlsFiles() {
    asio::steady_timer tick(ioc);
    while (!state.draining.load()) {
      tick.expires_after(config.tls.check_files_interval);
      co_await tick.async_wait(kUseTuple);
      if (!state.draining.load()) asio::post(blocking_pool, [this] { tls.reloadIfChanged(); });
    }
  }

  const GatewayConfig& config;
  ServerState state;
  std::function<void()> on_hangup;  // set at start, before the first signal
  // Before the pools: a reload still running on one finishes before this goes.
  ServerTls tls;
  asio::io_context ioc;
  // Declared after ioc so they are joined before ioc is destroyed: their tasks hold
  // executors (strands) of ioc.
  asio::thread_pool blocking_pool{2};
  asio::thread_pool query_pool{config.queries.threads};
  TlsListener exchange;
  TlsListener audit;
  OpsListener ops;
  asio::signal_set signals;
  std::vector<std::thread> threads;
  std::atomic<bool> drained_in_time{true};
};

NetworkServer::NetworkServer(const GatewayConfig& config) : impl_(std::make_unique<Impl>(config)) {}

NetworkServer::~NetworkServer() {
  if (!impl_->threads.empty()) {
    impl_->ioc.stop();
    wait();
  }
}

asio::io_context& NetworkServer::network() { return impl_->ioc; }
void NetworkServer::runOnNetwork(Work work) { asio::dispatch(impl_->ioc, std::move(work)); }
void NetworkServer::runBlocking(Work work) { asio::post(impl_->blocking_pool, std::move(work)); }
void NetworkServer::runQuery(Work work) { asio::post(impl_->query_pool, std::move(work)); }
GatewayMetrics& NetworkServer::metrics() { return impl_->state.metrics; }

void NetworkServer::start(std::shared_ptr<const Routing> routing, const ExchangeLog* health, bool handle_signals,
                          std::function<void()> on_hangup, std::function<std::string()> reload_status) {
  Impl& s = *impl_;
  s.state.exchange_log = health;
  s.state.reload_status = std::move(reload_status);
  s.state.setRouting(std::move(routing));
  s.on_hangup = std::move(on_hangup);
  if (handle_signals) {
    s.signals.add(SIGTERM);
    s.signals.add(SIGINT);
    if (s.on_hangup) s.signals.add(SIGHUP);
    s.waitForSignal();
  }
  s.exchange.start();
  s.audit.start();
  s.ops.start();
  asio::co_spawn(s.ioc, s.watchTlsFiles(), logEscapedException("tls-files-watch"));
  unsigned count = s.config.limits.threads;
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  s.state.ready.store(true);
  logInfo("listening", {{"mode", toString(s.config.mode)},
                        {"exchange_port", s.exchange.port()},
                        {"audit_port", s.audit.port()},
                        {"ops_port", s.ops.port()},
                        {"threads", count},
                        {"parties", s.config.parties.size()}});
}

void NetworkServer::replaceRouting(std::shared_ptr<const Routing> routing) {
  impl_->state.setRouting(std::move(routing));
}

std::vector<std::string> NetworkServer::useTlsFiles(const TlsFiles& files) { return impl_->tls.use(files); }
std::shared_ptr<const ClientTls> NetworkServer::clientTls() const { return impl_->tls.client(); }

void NetworkServer::drain() {
  asio::post(impl_->ioc, [this] { impl_->startDrain(); });
}

void NetworkServer::stopNow() { impl_->ioc.stop(); }

bool NetworkServer::wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  return impl_->drained_in_time.load();
}

std::uint16_t NetworkServer::exchangePort() const { return impl_->exchange.port(); }
std::uint16_t NetworkServer::auditPort() const { return impl_->audit.port(); }
std::uint16_t NetworkServer::opsPort() const { return impl_->ops.port(); }

}  // namespace ketenpoort
