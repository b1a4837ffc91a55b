#include <iostream>

#include "adapters/standard_adapters.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/runtime/gateway_server.hpp"

namespace ketenpoort::cli {

int serveCommand(const Args& args) {
  const auto unknown = unknownFlags(args, {"--config"}, {});
  const auto file = flagValue(args, "--config");
  if (!unknown.empty() || !file) {
    std::cerr << "usage: ketenpoort serve --config FILE\n";
    return 2;
  }
  auto loaded = loadConfigOrReport(*file);
  if (!loaded) return 1;
  try {
    ExchangeAdapters adapters = standardAdapters(*loaded);
    GatewayServer server(std::move(*loaded), std::move(adapters));
    server.start(/*handle_signals=*/true);
    const bool drained = server.wait();
    logInfo("stopped", {{"drained", drained}});
    return drained ? 0 : 1;
  } catch (const std::exception& e) {
    logError("startup-failed", {{"error", e.what()}});
    diagnosticLog().flush();
    std::cerr << "ketenpoort: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ketenpoort::cli
