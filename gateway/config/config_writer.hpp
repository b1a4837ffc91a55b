#pragma once

#include <filesystem>
#include <string>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// Renders a config as the XML that loadGatewayConfig reads back to the same values.
// Paths below base_dir are written relative to it, so a work directory can move.
std::string renderGatewayConfigXml(const GatewayConfig& config, const std::filesystem::path& base_dir);

}  // namespace ketenpoort
