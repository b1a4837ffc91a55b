#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/strictxml/strict_xml_reader.hpp"

namespace ketenpoort {

struct ConfigLoadResult {
  std::optional<GatewayConfig> config;  // set only when problems is empty
  std::vector<ConfigProblem> problems;
};

// Strict: unknown elements and attributes, missing or malformed values, duplicate ids,
// OINs or CBS codes are all problems; every problem is reported, not just the first.
// Relative paths are resolved against the config file's directory.
ConfigLoadResult loadGatewayConfig(const std::filesystem::path& file);
ConfigLoadResult parseGatewayConfig(std::string_view xml, const std::string& file_label,
                                    const std::filesystem::path& base_dir);

}  // namespace ketenpoort
