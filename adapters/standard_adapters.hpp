#pragma once

#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// The adapters this source tree ships, as the gateway runs them: in, COA's TVS XML, the
// schools' JSON and the Belastingdienst's status XML; asked, DUO's register; out, the
// gemeente JSON and the Belastingdienst's aanvraag XML, delivered over HTTPS with the
// gateway's own certificate.
ExchangeAdapters standardAdapters(const GatewayConfig& config);

}  // namespace ketenpoort
