#pragma once

#include "gateway/api/router.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/mapping/flow_definition.hpp"

namespace ketenpoort {

// The routes of the exchange listener (port 8443): every party.
Router makeExchangeRouter(const GatewayConfig& config, const MappingCatalogue& catalogue);

// GET /v1/flows: the flows a party of `role` may send or receive, with purpose, legal
// basis, conditions and the fields each recipient gets.
std::string renderFlowCatalogue(const MappingCatalogue& catalogue, PartyRole role);

// The routes of the audit listener (port 8444): privacy officers only.
Router makeAuditRouter(const GatewayConfig& config);

// Which roles a listener admits; a party with another role gets 403 role-not-allowed.
bool auditListenerAdmits(PartyRole role);

}  // namespace ketenpoort
