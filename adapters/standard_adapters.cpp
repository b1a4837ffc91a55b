#include "adapters/standard_adapters.hpp"

#include "adapters/coa_tvs/coa_tvs_format.hpp"
#include "adapters/duo/duo_elip_source.hpp"
#include "adapters/duo/duo_format.hpp"
#include "adapters/gemeente/gemeente_json_format.hpp"
#include "adapters/gemeente/https_delivery_channel.hpp"
#include "adapters/taalschool/taalschool_json_format.hpp"
#include "adapters/toeslagen/toeslagen_format.hpp"
#include "adapters/zgw/zgw_delivery_channel.hpp"
#include "adapters/zgw/zgw_format.hpp"

namespace ketenpoort {

ExchangeAdapters standardAdapters(const GatewayConfig& config) {
  ExchangeAdapters adapters;
  auto coa = std::make_shared<const CoaTvsFormat>();
  for (const char* flow : kCoaTvsFlows) adapters.inbound_by_flow.emplace(flow, coa);
  auto taalschool = std::make_shared<const TaalschoolJsonFormat>(config.signals);
  for (const char* flow : kTaalschoolFlows) adapters.inbound_by_flow.emplace(flow, taalschool);
  auto toeslagen = std::make_shared<const ToeslagenStatusFormat>(config.signals);
  for (const char* flow : kToeslagenFlows) adapters.inbound_by_flow.emplace(flow, toeslagen);
  // DUO answers queries; its source system is asked for them and for the ELIP overview.
  adapters.inbound_by_flow.emplace("duo.inburgeringsstatus", std::make_shared<const DuoStatusFormat>());
  auto duo = std::make_shared<DuoSource>();
  adapters.source_by_flow.emplace("duo.inburgeringsstatus", duo);
  adapters.source_by_flow.emplace("duo.elip-signaal", duo);
  adapters.elip = std::make_shared<const DuoElipSource>();

  auto gemeente_json = std::make_shared<const GemeenteJsonFormat>();
  adapters.outbound_by_role.emplace(PartyRole::kGemeente, gemeente_json);
  adapters.outbound_by_role.emplace(PartyRole::kToeslagen, std::make_shared<const ToeslagenXmlFormat>());
  adapters.channel = std::make_shared<HttpsDeliveryChannel>(config.outbox.delivery_timeout);
  // A gemeente's case system (<zgw>): the readable document beside the same JSON.
  adapters.case_system_format = std::make_shared<const ZgwPackageFormat>(gemeente_json);
  adapters.case_system = std::make_shared<ZgwDeliveryChannel>(config.outbox.delivery_timeout);
  return adapters;
}

}  // namespace ketenpoort
