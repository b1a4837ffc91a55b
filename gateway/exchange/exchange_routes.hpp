#pragma once

#include <functional>
#include <memory>

#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/delivery_basis.hpp"
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
  const ExchangeAdapters& adapters;
  const DeliveryBasis& basis;  // checked again when a message leaves (postbus)
  const TimeSource& clock;     // today's date for decisions, the records' time
  BlockingExecutor run_blocking;
  BlockingExecutor run_query;  // waits on source systems (DUO); apart from run_blocking
  // A new entry is durable in the outbox; its body comes along, so delivery need not read
  // it back.
  std::function<void(OutboxEntry, std::shared_ptr<const std::string>)> submit_delivery;
  // Where what follows a durable write continues: a network thread, reached in one
  // hand-off from the writer for the delivery's start and the request's continuation
  // together (null: on the writer's thread).
  Executor on_network = nullptr;
  // Keeps the configuration and mappings the references above point into alive while a
  // request under way holds this (a reload replaces them for new requests).
  std::shared_ptr<const void> configuration = nullptr;
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

// POST /v1/bevragingen/{flow} {"bsn": …}   a query (X-Doelbinding; the person in the body,
// never in the URL: GET …?bsn= is answered 400 bsn-in-url): the gateway decides what it
// can before asking (flow, purpose, koppeling, agreement, consent), then asks the source
// system within <queries timeout-ms>, decides again on the answer (law regime, fields)
// and answers 200 with only what may pass. A source that fails, is slow or answers
// something unusable gives 502/504 and nothing else; every outcome is logged.
void addQueryRoutes(Router& router, const ExchangeContext& context);

// With an ElipSignalSource among the adapters (DUO's: the flow duo.elip-signaal):
// POST /v1/signalen/{signal flow}   the gekoppelde gemeente asks for this month's ELIP
//     signals: the gateway reads the source's overview for the gemeente, derives who is an
//     ELIP candidate (<signals> thresholds) and queues one signal per Wi2021 candidate
//     gekoppeld to it through the outbox (at most one per person per month); old-law
//     persons are only counted.
// GET  /v1/aantallen/{signal flow}  only the counts for old-law persons, the persons the
//     gemeente has no basis for: no personal data at all.
void addSignalRoutes(Router& router, const ExchangeContext& context);

// The consents a gemeente obtained (issue 25), registered and withdrawn by the gemeente's
// own system; a gemeente party only, for a person gekoppeld to it and a purpose for which
// some mapping asks consent towards a gemeente (else 403 role-not-allowed, no-koppeling or
// purpose-mismatch):
//   POST /v1/toestemmingen {"bsn"|"vnummer", "doelbinding", "bewijs"}  → 201 {"toestemming_id"}
//   POST /v1/toestemmingen/{id}/intrekking                            → 200 (404 when not the caller's)
// Each change is a log record naming the consent; a withdrawal ends the queued deliveries
// that rest on it when they would leave (DeliveryBasis), as the CLI's does.
void addConsentRoutes(Router& router, const ExchangeContext& context);

}  // namespace ketenpoort
