#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/runtime/crl_refresher.hpp"

namespace ketenpoort::cli {
namespace {

constexpr std::string_view kCrlUsage =
    "usage: ketenpoort crl fetch --config FILE\n"
    "what it does: man ketenpoort (docs/man/ketenpoort.8)\n";

// One round of what serve does every tls/@crl-fetch-minutes: for the first CRLs before
// the gateway's first start (a CA without one admits no one), or from a timer of the
// operator's own. Run it as the gateway's user: the files are the gateway's.
int fetch(const Args& args) {
  const GatewayConfig config = Flags(args, {"--config"}).config();
  if (config.tls.crl_sources.empty()) throw UsageError("the configuration has no tls/crl-source");
  GatewayMetrics unused;
  CrlRefresher refresher([&config] { return config.tls; }, unused);
  int failed = 0;
  for (const auto& [source, update] : refresher.refreshAll()) {
    std::cout << source.file << ": " << toString(update.outcome) << " (" << update.detail << ")\n";
    if (update.outcome == CrlUpdate::Outcome::kRefused || update.outcome == CrlUpdate::Outcome::kFailed) ++failed;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int crlCommand(const Args& args) { return runSubcommand("crl", kCrlUsage, args, {{"fetch", fetch}}); }

}  // namespace ketenpoort::cli
