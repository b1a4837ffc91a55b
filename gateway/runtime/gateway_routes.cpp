#include "gateway/runtime/gateway_routes.hpp"

#include <algorithm>
#include <stdexcept>

#include "gateway/api/cross_site.hpp"
#include "gateway/api/gateway_api.hpp"
#include "gateway/audit/audit_api.hpp"
#include "gateway/console/console_routes.hpp"
#include "gateway/console/form_guard.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_routes.hpp"
#include "gateway/mapping/mapping_loader.hpp"

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

GatewayRoutes::GatewayRoutes(GatewayConfig c, ExchangeAdapters a, const TimeSource& k)
    : clock(k),
      store(c, clock),
      policy(store.registries().view()),
      adapters(std::move(a)),
      statistics(store.log(), {}) {
  MappingCatalogue catalogue = loadCatalogue(c.mappings_dir);
  adopt(std::move(c), std::move(catalogue));
}

std::shared_ptr<const GatewayRoutes::Generation> GatewayRoutes::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

std::shared_ptr<const GatewayRoutes::Generation> GatewayRoutes::adopt(GatewayConfig c, MappingCatalogue catalogue) {
  seedAgreements(c, store.registries(), clock.today());
  statistics.follow(officerOrganisations(c));
  auto next =
      std::make_shared<const Generation>(std::move(c), std::move(catalogue), store.registries(), store.log(), clock);
  std::lock_guard lock(current_mutex_);
  current_ = next;
  return next;
}

Router GatewayRoutes::exchangeRouter(const Workers& workers, std::shared_ptr<const Generation> generation) {
  if (!generation) generation = current();
  const GatewayConfig& config = generation->config;
  const MappingCatalogue& catalogue = generation->catalogue;
  Router router = makeExchangeRouter(config, catalogue);
  const ExchangeContext context{config,
                                catalogue,
                                policy,
                                store.log(),
                                store.registries(),
                                store.referencer(),
                                store.outbox(),
                                adapters,
                                generation->basis,
                                clock,
                                workers.run_blocking,
                                workers.run_query,
                                workers.submit_delivery,
                                workers.on_network,
                                generation};
  addExchangeRoutes(router, context);
  addQueryRoutes(router, context);
  addSignalRoutes(router, context);
  addConsentRoutes(router, context);
  return router;
}

Router GatewayRoutes::auditRouter(const Workers& workers, std::shared_ptr<const Generation> generation) {
  if (!generation) generation = current();
  const GatewayConfig& config = generation->config;
  const MappingCatalogue& catalogue = generation->catalogue;
  Router router = makeAuditRouter(config);
  // Every route of this listener records an access in the officer's name: a request the
  // browser says another site made is refused before any route runs (issue 25).
  router.setGuard(crossSiteProblem);
  router.setFinish(secureConsoleAnswer);
  addAuditRoutes(router, AuditApiContext{config,
                                         catalogue,
                                         store.log(),
                                         store.registries(),
                                         store.referencer(),
                                         workers.run_blocking,
                                         clock,
                                         {},
                                         generation});
  addConsoleRoutes(router,
                   ConsoleContext{config, catalogue, store, statistics, workers.run_blocking, clock, generation});
  return router;
}

}  // namespace ketenpoort
