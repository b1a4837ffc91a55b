#include "adapters/standard_adapters.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "gateway/runtime/service_manager.hpp"

namespace ketenpoort::cli {

int serveCommand(const Args& args) {
  return runCommand("serve", "usage: ketenpoort serve --config FILE\n", [&] {
    const Flags flags(args, {"--config"});
    GatewayConfig config = flags.config();
    try {
      ExchangeAdapters adapters = standardAdapters(config);
      GatewayServer server(std::move(config), std::move(adapters));
      // SIGHUP (systemctl reload, ketenpoort reload) reads the same file again.
      server.start(/*handle_signals=*/true, flags.required("--config"));
      if (!notifyServiceManager("READY=1")) logError("service-manager-not-told", {{"state", "READY=1"}});
      const bool drained = server.wait();
      logInfo("stopped", {{"drained", drained}});
      return drained ? 0 : 1;
    } catch (const std::exception& e) {
      logError("startup-failed", {{"error", e.what()}});
      diagnosticLog().flush();
      throw;
    }
  });
}

}  // namespace ketenpoort::cli
