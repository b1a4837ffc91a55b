#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "gateway/mapping/flow_definition.hpp"
#include "gateway/strictxml/strict_xml_reader.hpp"

namespace ketenpoort {

struct MappingLoadResult {
  std::optional<MappingCatalogue> catalogue;  // set only when problems is empty
  std::vector<ConfigProblem> problems;
};

// Loads DIR/fields.xml and every DIR/flows/*.xml. Strict like the gateway config, and
// more: every field a flow names must be in the dictionary, a special:* field may be
// allowed to a recipient only with a cited art. 9 exception, flow ids are unique and
// match their file names, and every allowed field must be fillable from the source.
MappingLoadResult loadMappings(const std::filesystem::path& dir);
// The catalogue, or std::runtime_error naming the directory and every problem.
MappingCatalogue loadCatalogue(const std::filesystem::path& dir);

}  // namespace ketenpoort
