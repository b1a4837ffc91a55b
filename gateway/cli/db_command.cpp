#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/gateway_store/gateway_store.hpp"

namespace ketenpoort::cli {
namespace {

constexpr std::string_view kDbUsage = "usage: ketenpoort db migrate --config FILE   (man ketenpoort)\n";

int migrate(const Args& args) {
  const int applied = migrateStore(Flags(args, {"--config"}).config());
  std::cout << (applied == 0 ? "the database is at the current schema version already\n"
                             : "applied " + std::to_string(applied) + " migration(s)\n");
  return 0;
}

}  // namespace

int dbCommand(const Args& args) { return runSubcommand("db", kDbUsage, args, {{"migrate", migrate}}); }

}  // namespace ketenpoort::cli
