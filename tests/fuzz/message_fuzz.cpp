// Any bytes pushed as a klantprofiel must parse, map and be decided without crashing, and
// a refused or allowed decision must be self-consistent; nothing delivered is special-
// category or anything but text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/policy/policy_engine.hpp"
#include "tests/fuzz/fuzz_setup.hpp"
#include "tests/support/hand_filled_registries.hpp"

namespace {
struct Setup {
  ketenpoort::MappingCatalogue catalogue = ketenpoort::fuzz::shippedCatalogue();
  ketenpoort::HandFilledRegistries registries;
  ketenpoort::Party coa = ketenpoort::fuzz::fuzzParty("coa", "00000099100000000001", ketenpoort::PartyRole::kCoa);
  ketenpoort::Party gemeente =
      ketenpoort::fuzz::fuzzParty("gemeente-0363", "00000099200000000363", ketenpoort::PartyRole::kGemeente, "0363");
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ketenpoort;
  static Setup setup;
  auto parsed = sourceFromXml(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto* source = std::get_if<SourceNode>(&parsed);
  if (!source) return 0;
  for (const auto& flow : setup.catalogue.flows) {
    const MappingOutcome mapped = mapSourceDocument(*flow, *source);
    const PolicyEngine engine(setup.registries.view());
    const PolicyDecision d = engine.decide(
        PolicyRequest{setup.coa, *flow, flow->purpose_id, mapped, setup.gemeente, *parseIsoDate("2025-11-01")});
    // A refusal is an answer of the vocabulary; a field is delivered or has its reason.
    if (!d.allowed && reasonType(d.reason).status == 0) __builtin_trap();
    for (const FieldDecision& f : d.fields) {
      if (f.delivered == f.reason.has_value()) __builtin_trap();
    }
    for (const auto* v : d.delivered) {
      if (v->field->isSpecial()) __builtin_trap();             // never, whatever the input
      if (textProblem(v->value) != nullptr) __builtin_trap();  // what leaves is text
    }
  }
  return 0;
}
