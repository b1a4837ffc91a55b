#include "adapters/standard_adapters.hpp"

#include "adapters/coa_tvs/coa_tvs_format.hpp"
#include "adapters/gemeente/gemeente_json_format.hpp"
#include "adapters/gemeente/https_delivery_channel.hpp"

namespace ketenpoort {

ExchangeAdapters standardAdapters(const GatewayConfig& config) {
  ExchangeAdapters adapters;
  auto coa = std::make_shared<const CoaTvsFormat>();
  for (const char* flow : kCoaTvsFlows) adapters.inbound_by_flow.emplace(flow, coa);
  adapters.outbound_by_role.emplace(PartyRole::kGemeente, std::make_shared<const GemeenteJsonFormat>());
  adapters.channel = std::make_shared<HttpsDeliveryChannel>(config.tls, config.outbox.delivery_timeout);
  return adapters;
}

}  // namespace ketenpoort
