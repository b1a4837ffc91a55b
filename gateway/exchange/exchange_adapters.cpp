#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

std::variant<SourceNode, std::string> decodeXmlEnvelope(const FlowDefinition& flow, std::string_view body) {
  if (body.empty()) return "the body is empty; expected a <" + flow.source_root + "> document";
  auto parsed = sourceFromXml(body);
  if (auto* error = std::get_if<std::string>(&parsed)) return "not well-formed XML: " + *error;
  const SourceNode& root = std::get<SourceNode>(parsed);
  if (root.name != flow.source_root) {
    return "the root element is another than the <" + flow.source_root + "> " + flow.id + " expects";
  }
  return parsed;
}

std::string endpointFor(const Party& party, std::string_view flow_id) {
  std::string any;
  for (const Endpoint& e : party.endpoints) {
    if (e.flow == flow_id) return e.url;
    if (e.flow == "*") any = e.url;
  }
  return any;
}

bool deliveredToParty(const Party& party, std::string_view flow_id) {
  return party.zgwFor(flow_id) != nullptr || !endpointFor(party, flow_id).empty();
}

const OutboundFormat* outboundFormatFor(const ExchangeAdapters& adapters, const Party& recipient,
                                        std::string_view flow_id) {
  if (recipient.zgwFor(flow_id) != nullptr) return adapters.case_system_format.get();
  const auto by_role = adapters.outbound_by_role.find(recipient.role);
  return by_role == adapters.outbound_by_role.end() ? nullptr : by_role->second.get();
}

}  // namespace ketenpoort
