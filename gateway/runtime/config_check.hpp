#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "gateway/config/config_loader.hpp"
#include "gateway/mapping/flow_definition.hpp"

namespace ketenpoort {

// A configuration file read and checked completely, as `check-config` and a reload do:
// the file itself, the TLS files it names loaded as the listeners load them, and the
// mappings it names. Every problem is one `file:line: message`.
struct CheckedConfiguration {
  std::optional<GatewayConfig> config;        // set when the file itself is valid
  std::optional<MappingCatalogue> catalogue;  // set when its mappings load
  std::vector<ConfigProblem> problems;        // empty: ready to run on

  bool ok() const { return problems.empty() && config && catalogue; }
};
CheckedConfiguration checkConfiguration(const std::filesystem::path& file);

}  // namespace ketenpoort
