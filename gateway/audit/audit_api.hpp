#pragma once

#include <memory>

#include "gateway/calendar/time_source.hpp"

#include <functional>
#include <vector>

#include "gateway/api/router.hpp"
#include "gateway/audit/ldv_export.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/store/registry_store.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

struct AuditApiContext {
  const GatewayConfig& config;
  const MappingCatalogue& catalogue;  // the flows a `flow` filter may name
  ExchangeLog& log;
  const RegistryStore& registries;
  const SubjectReferencer& referencer;
  BlockingExecutor run_blocking;
  const TimeSource& clock;  // today, for a consent's status
  // The register of processing activities (LDV "lezen"); addAuditRoutes builds it once.
  std::vector<ProcessingActivity> activities = {};
  // Keeps the configuration and mappings the references above point into alive while a
  // request under way holds this (a reload replaces them for new requests).
  std::shared_ptr<const void> configuration = nullptr;
};

// The privacy officer's queries on the audit listener, as JSON (docs/api/openapi.yaml):
//   GET  /v1/audit/exchanges?from=&to=&flow=&party=&outcome=
//   POST /v1/audit/exchanges   the same filters and `bsn` in a JSON body (one person's report)
//   GET /v1/audit/refusals?from=&to=      GET /v1/audit/withheld?from=&to=
//   GET  /v1/audit/consents    POST /v1/audit/consents {"bsn": …}
//   POST /v1/ldv/processing-activities {"bsn"|"processing_activity_id"|"trace_id"|"from"|"to"…}
//        LDV records ("lezen", docs/ldv.md)
// A BSN never goes in a URL: a `bsn` in a query string is refused (400 bsn-in-url).
// Answers cover only exchanges of the caller's own organisation. Each query is written to
// the exchange log first; if that fails the answer is 503 log-unavailable. The routes keep
// a copy of `context`; what it refers to must outlive the router.
void addAuditRoutes(Router& router, const AuditApiContext& context);

}  // namespace ketenpoort
