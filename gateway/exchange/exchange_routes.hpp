#pragma once

#include <functional>
#include <memory>

#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/policy/policy_engine.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/registry_store.hpp"

namespace ketenpoort {

struct ExchangeContext {
  const GatewayConfig& config;
  const MappingCatalogue& catalogue;
  const PolicyEngine& policy;
  ExchangeLog& log;
  RegistryStore& registries;
  const SubjectReferencer& referencer;
  OutboxStore& outbox;
  PayloadStore& payloads;
  const ExchangeAdapters& adapters;
  BlockingExecutor run_blocking;
  std::function<void(OutboxEntry)> submit_delivery;  // a new entry is durable in the outbox
};

// The message routes of the exchange listener (docs/api/openapi.yaml):
//   POST /v1/berichten/{flow}    a push (X-Doelbinding; optional X-Transaction-Id, X-Ontvanger)
//   GET  /v1/postbus             the caller's waiting messages
//   POST /v1/postbus/{id}/ack    the caller has one of them safely
// A push is parsed, mapped and decided on a worker; a refusal is logged and answered
// with its reason; an allowed one is answered 202 only once its body, its log record and
// its outbox entry are durable. A re-sent transaction id is answered with its first
// result and never queued twice. The routes keep a copy of `context`; what it refers to
// must outlive the router.
void addExchangeRoutes(Router& router, const ExchangeContext& context);

}  // namespace ketenpoort
