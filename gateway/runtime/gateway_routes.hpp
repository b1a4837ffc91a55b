#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gateway/api/router.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/console/exchange_statistics.hpp"
#include "gateway/exchange/delivery_basis.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/policy/policy_engine.hpp"

namespace ketenpoort {

// Everything behind the network, and the two routers built on it (issue 26): the mapping
// catalogue, the store (its agreements seeded from the config), the policy engine, the
// delivery basis and the console's figures. GatewayServer puts the routers behind a
// NetworkServer; route tests call them without a socket, on the same code.
class GatewayRoutes {
 public:
  // Where the routes' work runs: blocking work (the database), waits on source systems,
  // and a new outbox entry handed to delivery once durable.
  struct Workers {
    BlockingExecutor run_blocking;
    BlockingExecutor run_query;
    std::function<void(OutboxEntry, std::shared_ptr<const std::string>)> submit_delivery;
    // Where what follows a durable write continues (null: on the writer's thread).
    Executor on_network = nullptr;
  };

  // Throws std::runtime_error when the mappings do not load, the store does not open or
  // an agreement of the config cannot be registered.
  GatewayRoutes(GatewayConfig config, ExchangeAdapters adapters, const TimeSource& clock);

  // The exchange listener's routes (pushes, queries, signals, postbus, consents, whoami).
  Router exchangeRouter(const Workers& workers);
  // The audit listener's: the audit API and the console, behind the cross-site guard.
  Router auditRouter(const Workers& workers);

  const TimeSource& clock;
  GatewayConfig config;
  MappingCatalogue catalogue;
  GatewayStore store;
  PolicyEngine policy;
  ExchangeAdapters adapters;
  DeliveryBasis basis;
  // The console's figures, counted from the log on a thread of their own (start/stop by
  // whoever runs the routes; before the store closes).
  ExchangeStatistics statistics;
};

}  // namespace ketenpoort
