// Mapping and policy for a 5 KB klantprofiel (issue 3: under 20 µs median on 2 cores).
//   build/tests/bench/policy_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/policy/policy_engine.hpp"
#include "tests/support/hand_filled_registries.hpp"

namespace ketenpoort {
namespace {

struct Fixture {
  Fixture() {
    auto loaded = loadMappings(KETENPOORT_SOURCE_DIR "/mappings");
    if (!loaded.catalogue) throw std::runtime_error("mappings do not load");
    catalogue = std::move(*loaded.catalogue);
    flow = catalogue.findFlow("coa.klantprofiel");
    std::ifstream in(KETENPOORT_SOURCE_DIR "/tests/data/klantprofiel.xml");
    std::stringstream s;
    s << in.rdbuf();
    document = s.str();
    // Pad to 5 KB with more voorinburgering activities, as a long-staying person has.
    const std::string anchor = "</voorinburgering>";
    int n = 0;
    while (document.size() < 5 * 1024) {
      document.insert(document.find(anchor),
                      "<activiteit>Extra activiteit nummer " + std::to_string(++n) + "</activiteit>\n");
    }
  }
  MappingCatalogue catalogue;
  const FlowDefinition* flow = nullptr;
  std::string document;
  HandFilledRegistries registries;
  Party coa{"coa", *Oin::parse("00000099100000000001"), "COA", PartyRole::kCoa, {}, {}, {}, {}};
  Party amsterdam{
      "gemeente-0363", *Oin::parse("00000099200000000363"), "Amsterdam", PartyRole::kGemeente, "0363", {}, {}, {}};
  CivilDate date = *parseIsoDate("2025-11-01");
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_ParseKlantprofielXml(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto parsed = sourceFromXml(f.document);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.document.size()));
}
BENCHMARK(BM_ParseKlantprofielXml);

void BM_MapAndDecideKlantprofiel(benchmark::State& state) {
  Fixture& f = fixture();
  const SourceNode source = std::get<SourceNode>(sourceFromXml(f.document));
  const PolicyEngine engine(f.registries.view());
  for (auto _ : state) {
    const MappingOutcome mapped = mapSourceDocument(*f.flow, source);
    PolicyDecision decision =
        engine.decide(PolicyRequest{f.coa, *f.flow, "regie-inburgering", mapped, f.amsterdam, f.date});
    if (!decision.allowed) state.SkipWithError("refused");
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_MapAndDecideKlantprofiel);

void BM_ParseMapAndDecideKlantprofiel(benchmark::State& state) {
  Fixture& f = fixture();
  const PolicyEngine engine(f.registries.view());
  for (auto _ : state) {
    const SourceNode source = std::get<SourceNode>(sourceFromXml(f.document));
    const MappingOutcome mapped = mapSourceDocument(*f.flow, source);
    PolicyDecision decision =
        engine.decide(PolicyRequest{f.coa, *f.flow, "regie-inburgering", mapped, f.amsterdam, f.date});
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_ParseMapAndDecideKlantprofiel);

}  // namespace
}  // namespace ketenpoort

BENCHMARK_MAIN();
