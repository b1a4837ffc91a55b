#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/mapping/mapping_loader.hpp"
#include "gateway/mapping/privacy_model_report.hpp"
#include "gateway/runtime/config_check.hpp"

namespace ketenpoort::cli {
namespace {

int checkConfig(const std::string& file) {
  const CheckedConfiguration checked = checkConfiguration(file);
  for (const auto& problem : checked.problems) std::cerr << problem.str() << "\n";
  if (!checked.ok()) {
    std::cerr << file << ": " << checked.problems.size() << " problem(s)\n";
    return 1;
  }
  std::cout << file << ": ok (mode " << toString(checked.config->mode) << ", " << checked.config->parties.size()
            << " parties, " << checked.catalogue->flows.size() << " flows)\n";
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
