#include "gateway/api/gateway_api.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ketenpoort {
namespace {

// GET /v1/whoami: lets a connecting organisation check that its certificate is
// recognised and which party and role the gateway takes it for.
ApiResponse whoami(const GatewayConfig& config, const ApiRequest& request) {
  const Party& party = *request.caller;
  boost::json::object o;
  o["id"] = party.id;
  o["name"] = party.name;
  o["oin"] = party.oin.str();
  o["role"] = toString(party.role);
  if (party.cbs_code) o["cbs_code"] = *party.cbs_code;
  if (party.organisation) o["organisation"] = *party.organisation;
  o["gateway_mode"] = toString(config.mode);
  ApiResponse response;
  response.body = boost::json::serialize(o);
  return response;
}

}  // namespace

Router makeExchangeRouter(const GatewayConfig& config) {
  Router router;
  router.add("GET", "/v1/whoami", [&config](const ApiRequest& r) { return whoami(config, r); });
  return router;
}

Router makeAuditRouter(const GatewayConfig& config) {
  Router router;
  router.add("GET", "/v1/whoami", [&config](const ApiRequest& r) { return whoami(config, r); });
  return router;
}

bool auditListenerAdmits(PartyRole role) { return role == PartyRole::kPrivacyOfficer; }

}  // namespace ketenpoort
