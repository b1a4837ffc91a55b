#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort::cli {

// Arguments after the command name, e.g. {"--config", "x.xml"}.
using Args = std::vector<std::string>;

// The value after `flag`, if given; a flag given without a value is reported.
std::optional<std::string> flagValue(const Args& args, const std::string& flag);
bool hasFlag(const Args& args, const std::string& flag);
// Flags not in `known` (and their values), so typos fail loudly.
std::vector<std::string> unknownFlags(const Args& args, const std::vector<std::string>& with_value,
                                      const std::vector<std::string>& without_value);

// Loads the gateway config; on problems prints each as file:line: message to stderr.
std::optional<GatewayConfig> loadConfigOrReport(const std::string& file);

// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
std::string csvField(const std::string& value);

int serveCommand(const Args& args);
int checkConfigCommand(const Args& args);
int demoCommand(const Args& args);
int privacyModelCommand(const Args& args);
int logCommand(const Args& args);
int consentCommand(const Args& args);
int auditCommand(const Args& args);
int simulateCommand(const Args& args);
int dbCommand(const Args& args);
// `demo --cluster`: two nodes on PostgreSQL behind HAProxy, one killed (demo_cluster.cpp).
int clusterDemo(const std::filesystem::path& workdir, std::size_t count);

}  // namespace ketenpoort::cli
