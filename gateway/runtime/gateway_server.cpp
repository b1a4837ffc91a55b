#include "gateway/runtime/gateway_server.hpp"

#include <mutex>
#include <shared_mutex>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/delivery_worker.hpp"
#include "gateway/gateway_store/scheduled_purge.hpp"
#include "gateway/http/network_server.hpp"
#include "gateway/runtime/gateway_routes.hpp"

namespace ketenpoort {

struct GatewayServer::Impl {
  Impl(GatewayConfig c, ExchangeAdapters a, const TimeSource& k)
      : routes(std::move(c), std::move(a), k),
        purge(routes.config.purge_at ? std::make_unique<ScheduledPurge>(routes.store, k, *routes.config.purge_at)
                                     : nullptr),
        network(routes.config),
        delivery(routes.config, routes.store.outbox(), routes.adapters, network.metrics(), &routes.basis, k,
                 [this](std::function<void()> work) { onNetwork(std::move(work)); }) {}

  // Runs `work` on a network thread while the network runs; after that it is dropped (a
  // coroutine it would resume goes with it; its entry waits in the outbox for the next
  // start). The log's writer calls this until the store closes, after the network.
  void onNetwork(std::function<void()> work) {
    std::shared_lock gate(network_gate);
    if (network_open) network.runOnNetwork(std::move(work));
  }

  GatewayRoutes::Workers workers() {
    return {[this](std::function<void()> work) { network.runBlocking(std::move(work)); },
            [this](std::function<void()> work) { network.runQuery(std::move(work)); },
            // After a durable write, on a network thread (so while the network runs).
            [this](OutboxEntry entry, std::shared_ptr<const std::string> body) {
              delivery.submit(std::move(entry), std::move(body));
            },
            [this](std::function<void()> work) { onNetwork(std::move(work)); }};
  }

  // The log's writer and the delivery reach the network until wait() closes this;
  // declared before the store (in routes), so it outlives the writer's last callbacks.
  std::shared_mutex network_gate;
  bool network_open = true;
  GatewayRoutes routes;
  // The daily purge of records past their retention (none when storage/@purge-at is off);
  // stopped before the store closes.
  std::unique_ptr<ScheduledPurge> purge;
  // The network goes before delivery: deliveries run on its threads, and what is still
  // pending there when it goes is simply due again at the next start.
  NetworkServer network;
  DeliveryWorker delivery;  // destroyed (stopped) before the store it works on
  bool started = false;
};

GatewayServer::GatewayServer(GatewayConfig config, ExchangeAdapters adapters, const TimeSource& clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(adapters), clock)) {
  // Deliveries run on the network threads.
  if (impl_->routes.adapters.channel) impl_->routes.adapters.channel->open(impl_->network.network());
}

GatewayServer::~GatewayServer() {
  if (impl_->started) {
    impl_->network.stopNow();
    wait();
  }
}

void GatewayServer::start(bool handle_signals) {
  Impl& s = *impl_;
  s.delivery.start();
  s.routes.statistics.start();
  if (s.purge) s.purge->start(&s.network.metrics());
  const GatewayRoutes::Workers workers = s.workers();
  s.network.start(s.routes.exchangeRouter(workers), s.routes.auditRouter(workers), &s.routes.store.log(),
                  handle_signals);
  s.started = true;
  logInfo("exchange-ready", {{"flows", s.routes.catalogue.flows.size()}});
}

void GatewayServer::drain() { impl_->network.drain(); }

bool GatewayServer::wait() {
  const bool in_time = impl_->network.wait();
  {
    std::unique_lock gate(impl_->network_gate);
    impl_->network_open = false;
  }
  // Undelivered entries stay in the outbox for the next start. The network has stopped:
  // the channel's connections go before the io_context they belong to.
  impl_->delivery.stop();
  impl_->routes.statistics.stop();
  if (impl_->purge) impl_->purge->stop();
  if (impl_->routes.adapters.channel) impl_->routes.adapters.channel->close();
  impl_->started = false;
  return in_time;
}

std::uint16_t GatewayServer::exchangePort() const { return impl_->network.exchangePort(); }
std::uint16_t GatewayServer::auditPort() const { return impl_->network.auditPort(); }
std::uint16_t GatewayServer::opsPort() const { return impl_->network.opsPort(); }
const GatewayConfig& GatewayServer::config() const { return impl_->routes.config; }
const GatewayMetrics& GatewayServer::metrics() const { return impl_->network.metrics(); }
ExchangeLog& GatewayServer::exchangeLog() { return impl_->routes.store.log(); }
RegistryStore& GatewayServer::registries() { return impl_->routes.store.registries(); }
OutboxStore& GatewayServer::outbox() { return impl_->routes.store.outbox(); }

}  // namespace ketenpoort
