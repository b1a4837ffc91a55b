#pragma once

#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/signals/derived_signals.hpp"

namespace ketenpoort {

// What a language school pushes (docs/adapters/taalschool.md): one JSON object per
// message, its members named as in the flow's <source> (nested objects for "a/b",
// arrays for "a[]"). Scalars become text as written; JSON true/false become "true" and
// "false". Numbers must be plain decimals; an amount may also be a string.
//
// For taalschool.aanwezigheid the gateway, not the school, decides the percentage and
// whether it is under the norm: it computes both from lessen_gepland and
// lessen_bijgewoond with the configured norm (<signals attendance-norm-percent>), so
// every gemeente sees the same rule applied. What the school sent for those two is
// replaced.
class TaalschoolJsonFormat final : public InboundFormat {
 public:
  explicit TaalschoolJsonFormat(SignalThresholds thresholds) : thresholds_(thresholds) {}
  std::string_view name() const override { return "taalschool_json"; }
  std::variant<SourceNode, std::string> decode(const FlowDefinition& flow, std::string_view body) const override;

 private:
  SignalThresholds thresholds_;
};

// Any JSON object as a SourceNode tree named `root_name`; the error names the problem,
// never the content.
std::variant<SourceNode, std::string> sourceFromJson(std::string_view json, const std::string& root_name);

// The flows this adapter receives.
inline constexpr const char* kTaalschoolFlows[] = {"taalschool.elip-aanmelding", "taalschool.aanwezigheid"};

}  // namespace ketenpoort
