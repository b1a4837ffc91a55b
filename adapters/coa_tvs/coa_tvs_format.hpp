#pragma once

#include "gateway/exchange/exchange_adapters.hpp"

namespace ketenpoort {

// COA's TVS wire format for klantprofiel (versioned), nareisprofiel and herkoppeling: XML as described
// in docs/adapters/coa_tvs.md and adapters/coa_tvs/coa_tvs.xsd. This checks the
// envelope (well-formed, no DOCTYPE or entities, the flow's root element, a positive
// integer `versie` on a klantprofiel); the mapping checks the fields and their types.
class CoaTvsFormat final : public InboundFormat {
 public:
  std::string_view name() const override { return "coa_tvs"; }
  std::variant<SourceNode, std::string> decode(const FlowDefinition& flow, std::string_view body) const override;
};

// The flows this adapter receives.
inline constexpr const char* kCoaTvsFlows[] = {"coa.klantprofiel", "coa.nareisprofiel", "coa.toeslagaanvraag",
                                               "coa.herkoppeling"};

}  // namespace ketenpoort
