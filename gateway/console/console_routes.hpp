#pragma once

#include <memory>

#include "gateway/api/router.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/console/exchange_statistics.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/mapping/flow_definition.hpp"

namespace ketenpoort {

struct ConsoleContext {
  const GatewayConfig& config;
  const MappingCatalogue& catalogue;
  GatewayStore& store;
  const ExchangeStatistics& statistics;
  BlockingExecutor run_blocking;
  const TimeSource& clock;
  // Keeps the configuration and mappings the references above point into alive while a
  // request under way holds this (a reload replaces them for new requests).
  std::shared_ptr<const void> configuration = nullptr;
};

// The privacy officer's console on the audit listener (docs/console.md, ADR 0017): pages
// rendered here, in Dutch, with one stylesheet and no script.
//   GET  /console                          overview: figures, refusals, withheld fields,
//                                          dead letters, the log's health
//   GET  /console/uitwisselingen           search (period, flow, party, outcome), newest
//                                          first, keyset pages (`voor`)
//   GET  /console/uitwisselingen/{volgnummer}  one exchange, its basis and delivery
//   GET  /console/inzage   POST /console/inzage   one person's exchanges (AVG art. 15);
//                                          the BSN only in the POSTed form, printable
//   GET  /console/toestemmingen            consents and agreements
//   GET  /console/controle POST /console/controle  the log verified now, the signed heads
//   GET  /console/toegang                  who of the organisation's officers looked at what
//   GET  /console/console.css
// Every page is recorded in the exchange log before anything is shown (a person by the
// keyed reference), and shows only the officer's own organisation's exchanges. Every POST
// passes the FormGuard. Problems are pages with the catalogue's status and code.
// The routes keep a copy of `context`; what it refers to must outlive the router.
void addConsoleRoutes(Router& router, const ConsoleContext& context);

}  // namespace ketenpoort
