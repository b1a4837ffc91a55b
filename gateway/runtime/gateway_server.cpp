#include "gateway/runtime/gateway_server.hpp"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include "gateway/api/cross_site.hpp"
#include "gateway/api/gateway_api.hpp"
#include "gateway/audit/audit_api.hpp"
#include "gateway/console/console_routes.hpp"
#include "gateway/console/form_guard.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/delivery_worker.hpp"
#include "gateway/exchange/exchange_routes.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/gateway_store/scheduled_purge.hpp"
#include "gateway/http/network_server.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/policy/policy_engine.hpp"

namespace ketenpoort {

namespace {

// Agreements come from the config, the truth at every start (issue 25): the registry
// learns each new or changed one, and one it holds that the config no longer has ends
// today, so neither a new exchange nor a queued delivery rests on it. Each change is
// logged (which agreement, registered or ended, when); a change that cannot be logged
// stops the start.
void seedAgreements(const GatewayConfig& config, RegistryStore& registries, const CivilDate& today) {
  for (const AgreementConfig& a : config.agreements) {
    const auto change =
        registries.upsertAgreement({a.id, a.party_id, a.purpose_id, *config.findPartyById(a.gemeente_id)->cbs_code,
                                    a.valid_from, a.valid_until, a.document_ref});
    if (!change.ok) throw std::runtime_error("cannot register agreement " + a.id + ": " + change.error);
  }
  for (const AgreementEntry& held : registries.listAgreements()) {
    const bool configured = std::any_of(config.agreements.begin(), config.agreements.end(),
                                        [&held](const AgreementConfig& a) { return a.id == held.id; });
    if (configured) continue;
    const auto change = registries.endAgreement(held.id, today, "niet meer in de configuratie");
    if (!change.ok) throw std::runtime_error("cannot end agreement " + held.id + ": " + change.error);
    if (change.log_sequence != 0) logInfo("agreement-ended", {{"agreement", held.id}});
  }
}

// The organisations whose privacy officers may use the console: their figures are counted.
std::vector<std::string> officerOrganisations(const GatewayConfig& config) {
  std::vector<std::string> oins;
  for (const Party& party : config.parties) {
    if (party.role != PartyRole::kPrivacyOfficer || !party.organisation) continue;
    const Party* organisation = config.findPartyById(*party.organisation);
    if (organisation && std::find(oins.begin(), oins.end(), organisation->oin.str()) == oins.end()) {
      oins.push_back(organisation->oin.str());
    }
  }
  return oins;
}

}  // namespace

struct GatewayServer::Impl {
  Impl(GatewayConfig c, ExchangeAdapters a, const TimeSource& k)
      : clock(k),
        config(std::move(c)),
        catalogue(loadCatalogue(config.mappings_dir)),
        store(config, clock),
        policy(store.registries().view()),
        adapters(std::move(a)),
        basis(catalogue, store.registries(), store.log(), clock),
        statistics(store.log(), officerOrganisations(config)),
        purge(config.purge_at ? std::make_unique<ScheduledPurge>(store, clock, *config.purge_at) : nullptr),
        network(config),
        delivery(config, store.outbox(), adapters, network.metrics(), &basis, clock) {}

  Router exchangeRouter() {
    Router router = makeExchangeRouter(config, catalogue);
    const ExchangeContext context{config,
                                  catalogue,
                                  policy,
                                  store.log(),
                                  store.registries(),
                                  store.referencer(),
                                  store.outbox(),
                                  adapters,
                                  basis,
                                  clock,
                                  [this](std::function<void()> work) { network.runBlocking(std::move(work)); },
                                  [this](std::function<void()> work) { network.runQuery(std::move(work)); },
                                  [this](OutboxEntry entry, std::shared_ptr<const std::string> body) {
                                    // The writer's callback; after stop the entry waits in
                                    // the outbox for the next start.
                                    std::shared_lock gate(delivery_gate);
                                    if (delivery_open) delivery.submit(std::move(entry), std::move(body));
                                  }};
    addExchangeRoutes(router, context);
    addQueryRoutes(router, context);
    addSignalRoutes(router, context);
    addConsentRoutes(router, context);
    return router;
  }

  Router auditRouter() {
    Router router = makeAuditRouter(config);
    // Every route of this listener records an access in the officer's name: a request the
    // browser says another site made is refused before any route runs (issue 25).
    router.setGuard(crossSiteProblem);
    router.setFinish(secureConsoleAnswer);
    addAuditRoutes(
        router, AuditApiContext{config, catalogue, store.log(), store.registries(), store.referencer(),
                                [this](std::function<void()> work) { network.runBlocking(std::move(work)); }, clock});
    addConsoleRoutes(
        router, ConsoleContext{config, catalogue, store, statistics,
                               [this](std::function<void()> work) { network.runBlocking(std::move(work)); }, clock});
    return router;
  }

  const TimeSource& clock;
  // The log's writer hands new entries to delivery until wait() closes this; declared
  // before the store, so it outlives the writer's last callbacks.
  std::shared_mutex delivery_gate;
  bool delivery_open = true;
  GatewayConfig config;
  MappingCatalogue catalogue;
  GatewayStore store;
  PolicyEngine policy;
  ExchangeAdapters adapters;
  DeliveryBasis basis;
  // The console's figures, counted from the log on a thread of their own; stopped before
  // the store closes.
  ExchangeStatistics statistics;
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
  seedAgreements(impl_->config, impl_->store.registries(), impl_->clock.today());
  // Deliveries run on the network threads.
  if (impl_->adapters.channel) impl_->adapters.channel->open(impl_->network.network());
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
  s.statistics.start();
  if (s.purge) s.purge->start();
  s.network.start(s.exchangeRouter(), s.auditRouter(), &s.store.log(), handle_signals);
  s.started = true;
  logInfo("exchange-ready", {{"flows", s.catalogue.flows.size()}});
}

void GatewayServer::drain() { impl_->network.drain(); }

bool GatewayServer::wait() {
  const bool in_time = impl_->network.wait();
  {
    std::unique_lock gate(impl_->delivery_gate);
    impl_->delivery_open = false;
  }
  // Undelivered entries stay in the outbox for the next start. The network has stopped:
  // the channel's connections go before the io_context they belong to.
  impl_->delivery.stop();
  impl_->statistics.stop();
  if (impl_->purge) impl_->purge->stop();
  if (impl_->adapters.channel) impl_->adapters.channel->close();
  impl_->started = false;
  return in_time;
}

std::uint16_t GatewayServer::exchangePort() const { return impl_->network.exchangePort(); }
std::uint16_t GatewayServer::auditPort() const { return impl_->network.auditPort(); }
std::uint16_t GatewayServer::opsPort() const { return impl_->network.opsPort(); }
const GatewayConfig& GatewayServer::config() const { return impl_->config; }
const GatewayMetrics& GatewayServer::metrics() const { return impl_->network.metrics(); }
ExchangeLog& GatewayServer::exchangeLog() { return impl_->store.log(); }
RegistryStore& GatewayServer::registries() { return impl_->store.registries(); }
OutboxStore& GatewayServer::outbox() { return impl_->store.outbox(); }

}  // namespace ketenpoort
