#include <openssl/ssl.h>

#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/mapping/privacy_model_report.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort::cli {
namespace {

int checkConfig(const std::string& file) {
  const ConfigLoadResult result = loadGatewayConfig(file);
  std::vector<ConfigProblem> problems = result.problems;
  std::size_t flows = 0;
  if (result.config) {
    // The files the config names must load as the server would load them.
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    for (const auto& p : configureServerTls(ctx, result.config->tls)) {
      problems.push_back({file, result.config->tls.line, p});
    }
    SSL_CTX_free(ctx);
    const MappingLoadResult mappings = loadMappings(result.config->mappings_dir);
    problems.insert(problems.end(), mappings.problems.begin(), mappings.problems.end());
    flows = mappings.catalogue ? mappings.catalogue->flows.size() : 0;
  }
  for (const auto& problem : problems) std::cerr << problem.str() << "\n";
  if (!problems.empty()) {
    std::cerr << file << ": " << problems.size() << " problem(s)\n";
    return 1;
  }
  std::cout << file << ": ok (mode " << toString(result.config->mode) << ", " << result.config->parties.size()
            << " parties, " << flows << " flows)\n";
  return 0;
}

}  // namespace

int checkConfigCommand(const Args& args) {
  return runCommand("check-config", "usage: ketenpoort check-config --config FILE\n",
                    [&] { return checkConfig(Flags(args, {"--config"}).required("--config")); });
}

int privacyModelCommand(const Args& args) {
  return runCommand("privacy-model", "usage: ketenpoort privacy-model --mappings DIR\n", [&] {
    const MappingLoadResult loaded = loadMappings(Flags(args, {"--mappings"}).required("--mappings"));
    for (const auto& problem : loaded.problems) std::cerr << problem.str() << "\n";
    if (!loaded.catalogue) return 1;
    std::cout << renderPrivacyModel(*loaded.catalogue);
    return 0;
  });
}

}  // namespace ketenpoort::cli
