#include "gateway/http/gateway_server.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/ssl/context.hpp>

#include <csignal>
#include <optional>
#include <stdexcept>
#include <thread>

#include "gateway/api/gateway_api.hpp"
#include "gateway/audit/audit_api.hpp"
#include "gateway/exchange/delivery_worker.hpp"
#include "gateway/exchange/exchange_routes.hpp"
#include "gateway/http/listeners.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/sqlite_store/gateway_store.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort {

using namespace http_internal;

namespace http_internal {
tcp::acceptor openAcceptor(asio::io_context& ioc, const std::string& name,
                           const ListenerConfig& config) {
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

namespace {
asio::ssl::context makeServerContext(const TlsFiles& files) {
  asio::ssl::context context(asio::ssl::context::tls_server);
  const auto problems = configureServerTls(context.native_handle(), files);
  if (!problems.empty()) {
    std::string message = "TLS setup failed";
    for (const auto& p : problems) message += "\n  " + p;
    throw std::runtime_error(message);
  }
  return context;
}

// Agreements come from the config; the registry learns each new or changed one (and logs
// the change). A change that cannot be logged stops the start.
void seedAgreements(const GatewayConfig& config, RegistryStore& registries) {
  for (const AgreementConfig& a : config.agreements) {
    const auto change = registries.upsertAgreement(
        {a.id, a.party_id, a.purpose_id, *config.findPartyById(a.gemeente_id)->cbs_code,
         a.valid_from, a.valid_until, a.document_ref});
    if (!change.ok) throw std::runtime_error("cannot register agreement " + a.id + ": " + change.error);
  }
}

MappingCatalogue loadCatalogue(const std::filesystem::path& dir) {
  MappingLoadResult loaded = loadMappings(dir);
  if (!loaded.catalogue) {
    std::string message = "mappings in " + dir.string() + " do not load";
    for (const auto& p : loaded.problems) message += "\n  " + p.str();
    throw std::runtime_error(message);
  }
  return std::move(*loaded.catalogue);
}
}  // namespace

struct GatewayServer::Impl {
  Impl(GatewayConfig c, ExchangeAdapters a)
      : config(std::move(c)),
        state(config),
        catalogue(loadCatalogue(config.mappings_dir)),
        store(config),
        policy(store.registries().view()),
        adapters(std::move(a)),
        basis(catalogue, store.registries(), store.log()),
        delivery(config, store.outbox(), adapters, state.metrics, &basis),
        parties(config),
        tls(makeServerContext(config.tls)),
        exchange(ioc, state, "exchange", config.exchange, tls, parties, exchangeRouter(), false),
        audit(ioc, state, "audit", config.audit, tls, parties, auditRouter(), true),
        ops(ioc, state, config.ops),
        signals(ioc) {}

  Router exchangeRouter() {
    Router router = makeExchangeRouter(config, catalogue);
    const ExchangeContext context{config, catalogue, policy, store.log(),
                                              store.registries(), store.referencer(),
                                              store.outbox(), adapters, basis,
                                              [this](std::function<void()> work) {
                                                asio::post(blocking_pool, std::move(work));
                                              },
                                              [this](std::function<void()> work) {
                                                asio::post(query_pool, std::move(work));
                                              },
                                              [this](OutboxEntry entry, std::shared_ptr<const std::string> body) {
                                                delivery.submit(std::move(entry), std::move(body));
                                              }};
    addExchangeRoutes(router, context);
    addQueryRoutes(router, context);
    addSignalRoutes(router, context);
    return router;
  }

  Router auditRouter() {
    Router router = makeAuditRouter(config);
    addAuditRoutes(router, AuditApiContext{config, catalogue, store.log(), store.registries(), store.referencer(),
                                           [this](std::function<void()> work) {
                                             asio::post(blocking_pool, std::move(work));
                                           }});
    return router;
  }

  asio::awaitable<void> drainSequence() {
    exchange.close();
    audit.close();
    state.connections.closeIdle();
    const auto deadline = std::chrono::steady_clock::now() + config.limits.drain_timeout;
    asio::steady_timer tick(ioc);
    while (state.connections.size() > 0 && std::chrono::steady_clock::now() < deadline) {
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

  GatewayConfig config;
  ServerState state;
  MappingCatalogue catalogue;
  GatewayStore store;
  PolicyEngine policy;
  ExchangeAdapters adapters;
  DeliveryBasis basis;
  DeliveryWorker delivery;  // destroyed (stopped) before the store it works on
  PartyDirectory parties;
  asio::io_context ioc;
  // Database reads and other blocking work of request handlers: never on a network thread.
  // Declared after ioc so it is joined before ioc is destroyed: its tasks hold executors
  // (strands) of ioc.
  asio::thread_pool blocking_pool{2};
  // Questions to source systems (DUO), which may take up to <queries timeout-ms> each.
  asio::thread_pool query_pool{config.queries.threads};
  asio::ssl::context tls;
  TlsListener exchange;
  TlsListener audit;
  OpsListener ops;
  asio::signal_set signals;
  std::vector<std::thread> threads;
  std::atomic<bool> drained_in_time{true};
};

GatewayServer::GatewayServer(GatewayConfig config, ExchangeAdapters adapters)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(adapters))) {
  seedAgreements(impl_->config, impl_->store.registries());
  // Deliveries run on the network threads.
  if (impl_->adapters.channel) impl_->adapters.channel->open(impl_->ioc);
}

GatewayServer::~GatewayServer() {
  if (!impl_->threads.empty()) {
    impl_->ioc.stop();
    wait();
  }
}

void GatewayServer::start(bool handle_signals) {
  Impl& s = *impl_;
  s.state.exchange_log = &s.store.log();
  if (handle_signals) {
    s.signals.add(SIGTERM);
    s.signals.add(SIGINT);
    s.waitForSignal();
  }
  s.delivery.start();
  s.exchange.start();
  s.audit.start();
  s.ops.start();
  unsigned count = s.config.limits.threads;
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
  s.state.ready.store(true);
  logInfo("listening", {{"mode", toString(s.config.mode)},
                        {"exchange_port", s.exchange.port()},
                        {"audit_port", s.audit.port()},
                        {"ops_port", s.ops.port()},
                        {"threads", count},
                        {"parties", s.config.parties.size()},
                        {"flows", s.catalogue.flows.size()}});
}

void GatewayServer::drain() {
  asio::post(impl_->ioc, [this] { impl_->startDrain(); });
}

bool GatewayServer::wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // Undelivered entries stay in the outbox for the next start. The network has stopped:
  // the channel's connections go before the io_context they belong to.
  impl_->delivery.stop();
  if (impl_->adapters.channel) impl_->adapters.channel->close();
  return impl_->drained_in_time.load();
}

std::uint16_t GatewayServer::exchangePort() const { return impl_->exchange.port(); }
std::uint16_t GatewayServer::auditPort() const { return impl_->audit.port(); }
std::uint16_t GatewayServer::opsPort() const { return impl_->ops.port(); }
const GatewayConfig& GatewayServer::config() const { return impl_->config; }
const GatewayMetrics& GatewayServer::metrics() const { return impl_->state.metrics; }
ExchangeLog& GatewayServer::exchangeLog() { return impl_->store.log(); }
RegistryStore& GatewayServer::registries() { return impl_->store.registries(); }

}  // namespace ketenpoort
