#pragma once

#include <functional>
#include <memory>
#include <mutex>
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

// Everything behind the network, and the two routers built on it (issue 26): the store
// (its agreements seeded from the config), the policy engine, the console's figures, and
// the configuration in force with its mappings (a Generation, replaced by a reload). GatewayServer puts the routers
// behind a NetworkServer; route tests call them without a socket, on the same code.
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

  // One configuration as the routes answer on it: the configuration, the mappings it
  // names, and the delivery basis check on those mappings. Replaced whole by a reload
  // (adopt); whatever began on one finishes on it (requests hold it through their
  // contexts, deliveries through their rules).
  struct Generation {
    Generation(GatewayConfig c, MappingCatalogue m, const RegistryStore& registries, ExchangeLog& log,
               const TimeSource& clock)
        : config(std::move(c)), catalogue(std::move(m)), basis(catalogue, registries, log, clock) {}
    const GatewayConfig config;
    const MappingCatalogue catalogue;
    const DeliveryBasis basis;
  };

  // Throws std::runtime_error when the mappings do not load, the store does not open or
  // an agreement of the config cannot be registered.
  GatewayRoutes(GatewayConfig config, ExchangeAdapters adapters, const TimeSource& clock);

  // The configuration in force. Thread-safe.
  std::shared_ptr<const Generation> current() const;
  // Makes `config` (checked completely by the caller, its mappings loaded) the one in
  // force: its agreements are registered and the ones it no longer holds end today (each
  // change a record in the exchange log), then it becomes current(). Throws
  // std::runtime_error when an agreement cannot be registered; current() is then unchanged.
  std::shared_ptr<const Generation> adopt(GatewayConfig config, MappingCatalogue catalogue);

  // The exchange listener's routes (pushes, queries, signals, postbus, consents, whoami),
  // answering on `generation` (by default the current one).
  Router exchangeRouter(const Workers& workers, std::shared_ptr<const Generation> generation = nullptr);
  // The audit listener's: the audit API and the console, behind the cross-site guard.
  Router auditRouter(const Workers& workers, std::shared_ptr<const Generation> generation = nullptr);

  const TimeSource& clock;
  GatewayStore store;
  PolicyEngine policy;
  ExchangeAdapters adapters;
  // The console's figures, counted from the log on a thread of their own (start/stop by
  // whoever runs the routes; before the store closes).
  ExchangeStatistics statistics;

 private:
  mutable std::mutex current_mutex_;
  std::shared_ptr<const Generation> current_;
};

}  // namespace ketenpoort
