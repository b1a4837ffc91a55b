#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/gateway_store/gateway_store.hpp"

namespace ketenpoort::cli {

namespace {
constexpr const char* kDbUsage =
    "usage: ketenpoort db migrate --config FILE\n"
    "  brings the PostgreSQL database the config names to this gateway's schema version\n"
    "  (each migration in one transaction; safe to run from several nodes at once). A node\n"
    "  refuses to start on a database at another version.\n";
}  // namespace

int dbCommand(const Args& args) {
  if (args.empty() || args[0] != "migrate") {
    std::cerr << kDbUsage;
    return 2;
  }
  const Args rest(args.begin() + 1, args.end());
  const auto config_file = flagValue(rest, "--config");
  if (!config_file || !unknownFlags(rest, {"--config"}, {}).empty()) {
    std::cerr << kDbUsage;
    return 2;
  }
  const auto config = loadConfigOrReport(*config_file);
  if (!config) return 1;
  try {
    const int applied = migrateStore(*config);
    std::cout << (applied == 0 ? "the database is at the current schema version already\n"
                               : "applied " + std::to_string(applied) + " migration(s)\n");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort db migrate: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ketenpoort::cli
