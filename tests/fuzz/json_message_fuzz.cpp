// Any bytes a language school pushes as JSON must decode, map and be decided without
// crashing; whatever is delivered is valid text, never special-category, and the
// attendance figures are the gateway's own: a percentage only with lessons planned.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/taalschool/taalschool_json_format.hpp"
#include "gateway/policy/policy_engine.hpp"
#include "tests/fuzz/fuzz_setup.hpp"
#include "tests/support/hand_filled_registries.hpp"

namespace {
struct Setup {
  Setup() {
    for (const char* id : {"taalschool.aanwezigheid", "taalschool.elip-aanmelding"}) {
      flows.push_back(catalogue.findFlow(id));
      if (!flows.back()) __builtin_trap();
    }
  }
  ketenpoort::MappingCatalogue catalogue = ketenpoort::fuzz::shippedCatalogue();
  std::vector<const ketenpoort::FlowDefinition*> flows;
  ketenpoort::TaalschoolJsonFormat format{ketenpoort::SignalThresholds{}};
  ketenpoort::HandFilledRegistries registries;
  ketenpoort::Party school =
      ketenpoort::fuzz::fuzzParty("taalschool-a", "00000099300000000001", ketenpoort::PartyRole::kTaalschool);
  ketenpoort::Party gemeente =
      ketenpoort::fuzz::fuzzParty("gemeente-0363", "00000099200000000363", ketenpoort::PartyRole::kGemeente, "0363");
};

const ketenpoort::SourceNode* child(const ketenpoort::SourceNode& node, std::string_view name) {
  for (const auto& c : node.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ketenpoort;
  static Setup setup;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const FlowDefinition* flow : setup.flows) {
    auto decoded = setup.format.decode(*flow, body);
    if (auto* error = std::get_if<std::string>(&decoded)) {
      if (error->empty()) __builtin_trap();  // a refusal always says why
      continue;
    }
    const SourceNode& root = std::get<SourceNode>(decoded);
    if (flow->source_root == "aanwezigheid") {
      // The gateway's figures: both or neither, never the school's alone.
      if ((child(root, "percentage") == nullptr) != (child(root, "onder_norm") == nullptr)) __builtin_trap();
    }
    const MappingOutcome mapped = mapSourceDocument(*flow, root);
    const PolicyEngine engine(setup.registries.view());
    const PolicyDecision d = engine.decide(
        PolicyRequest{setup.school, *flow, flow->purpose_id, mapped, setup.gemeente, *parseIsoDate("2025-11-01")});
    // A refusal is an answer of the vocabulary; a field is delivered or has its reason.
    if (!d.allowed && reasonType(d.reason).status == 0) __builtin_trap();
    for (const FieldDecision& f : d.fields) {
      if (f.delivered == f.reason.has_value()) __builtin_trap();
    }
    for (const auto* v : d.delivered) {
      if (v->field->isSpecial() || textProblem(v->value) != nullptr) __builtin_trap();
    }
  }
  return 0;
}
