#pragma once
// What the message fuzz targets share: the shipped mappings, empty registries, and the
// parties a message goes between.
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/policy/registries.hpp"

namespace ketenpoort::fuzz {

inline MappingCatalogue shippedCatalogue() {
  auto loaded = loadMappings(KETENPOORT_SOURCE_DIR "/mappings");
  if (!loaded.catalogue) __builtin_trap();  // the shipped mappings must load
  return std::move(*loaded.catalogue);
}

inline Party fuzzParty(const char* id, const char* oin, PartyRole role, std::optional<std::string> cbs = std::nullopt) {
  return Party{id, *Oin::parse(oin), id, role, std::move(cbs), {}, {}, {}};
}

}  // namespace ketenpoort::fuzz
