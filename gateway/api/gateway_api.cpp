#include "gateway/api/gateway_api.hpp"

#include <boost/json/array.hpp>
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

boost::json::array roleNames(const std::vector<PartyRole>& roles) {
  boost::json::array out;
  for (auto r : roles) out.emplace_back(toString(r));
  return out;
}

boost::json::object describeFlow(const FlowDefinition& flow, PartyRole role) {
  boost::json::object o;
  o["id"] = flow.id;
  o["version"] = flow.version;
  o["kind"] = toString(flow.kind);
  o["description"] = flow.description;
  boost::json::array yours;
  if (flow.mayBeSentBy(role)) yours.emplace_back("sender");
  if (flow.recipientRule(role)) yours.emplace_back("recipient");
  o["your_roles"] = std::move(yours);
  o["sender_roles"] = roleNames(flow.sender_roles);
  o["purpose"] = {{"id", flow.purpose_id}, {"description", flow.purpose_description}};
  o["legal_basis"] = {{"kind", toString(flow.basis_kind)}, {"article", flow.basis_article}};
  o["conditions"] = {{"koppeling", !flow.koppeling_required ? "none"
                                   : flow.koppeling_field   ? "stated in the message"
                                                            : "registry"},
                     {"law_regime", toString(flow.regime)},
                     {"agreement_required", flow.agreement_required},
                     {"consent_required", flow.consent_required}};
  boost::json::array recipients;
  for (const RecipientRule& rule : flow.recipients) {
    boost::json::array fields;
    for (const AllowedField& allowed : rule.allowed) {
      boost::json::object f{{"id", allowed.field->id},
                            {"type", toString(allowed.field->type)},
                            {"category", allowed.field->category},
                            {"description", allowed.field->description}};
      if (allowed.needs_consent) f["consent_required"] = true;
      if (!allowed.art9_exception.empty()) f["art9_exception"] = allowed.art9_exception;
      fields.emplace_back(std::move(f));
    }
    recipients.emplace_back(boost::json::object{{"role", toString(rule.role)}, {"fields", std::move(fields)}});
  }
  o["recipients"] = std::move(recipients);
  o["log_retention"] = flow.retention_text;
  return o;
}

}  // namespace

std::string renderFlowCatalogue(const MappingCatalogue& catalogue, PartyRole role) {
  boost::json::array flows;
  for (const auto& flow : catalogue.flows) {
    if (flow->mayBeSentBy(role) || flow->recipientRule(role)) {
      flows.emplace_back(describeFlow(*flow, role));
    }
  }
  return boost::json::serialize(boost::json::object{{"flows", std::move(flows)}});
}

Router makeExchangeRouter(const GatewayConfig& config, const MappingCatalogue& catalogue) {
  Router router;
  router.add("GET", "/v1/whoami", [&config](const ApiRequest& r) { return whoami(config, r); });
  router.add("GET", "/v1/flows", [&catalogue](const ApiRequest& r) {
    ApiResponse response;
    response.body = renderFlowCatalogue(catalogue, r.caller->role);
    return response;
  });
  return router;
}

Router makeAuditRouter(const GatewayConfig& config) {
  Router router;
  router.add("GET", "/v1/whoami", [&config](const ApiRequest& r) { return whoami(config, r); });
  return router;
}

bool auditListenerAdmits(PartyRole role) { return role == PartyRole::kPrivacyOfficer; }

}  // namespace ketenpoort
