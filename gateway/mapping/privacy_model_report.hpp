#pragma once

#include <string>

#include "gateway/mapping/flow_definition.hpp"

namespace ketenpoort {

// docs/privacy-model.md, generated from the mappings so it cannot drift from what the
// gateway enforces: per flow, who sends and receives, purpose, legal basis, conditions,
// the fields that pass with their legal source, and the fields withheld and why.
std::string renderPrivacyModel(const MappingCatalogue& catalogue);

}  // namespace ketenpoort
