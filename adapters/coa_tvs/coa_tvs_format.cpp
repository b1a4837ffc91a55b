#include "adapters/coa_tvs/coa_tvs_format.hpp"

namespace ketenpoort {

std::variant<SourceNode, std::string> CoaTvsFormat::decode(const FlowDefinition& flow, std::string_view body) const {
  auto parsed = decodeXmlEnvelope(flow, body);
  if (std::holds_alternative<std::string>(parsed)) return parsed;
  const SourceNode& root = std::get<SourceNode>(parsed);
  if (flow.source_root == "klantprofiel") {
    const SourceNode* version = nullptr;
    for (const SourceNode& child : root.children) {
      if (child.name == "@versie") version = &child;
    }
    if (!version) return std::string("a klantprofiel needs its versie attribute");
    const std::string& v = version->text;
    const bool digits =
        !v.empty() && v.size() <= 6 && v.find_first_not_of("0123456789") == std::string::npos && v[0] != '0';
    if (!digits) return std::string("versie must be a positive whole number");
  }
  return parsed;
}

}  // namespace ketenpoort
