#pragma once

#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// The adapters this source tree ships, as the gateway runs them: COA's TVS format in,
// the gemeente JSON format out, delivery over HTTPS with the gateway's own certificate.
ExchangeAdapters standardAdapters(const GatewayConfig& config);

}  // namespace ketenpoort
