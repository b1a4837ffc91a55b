#include <iostream>

#include "gateway/cli/commands.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/gateway_store/store_backup.hpp"

namespace ketenpoort::cli {
namespace {

constexpr std::string_view kDbUsage =
    "usage: ketenpoort db migrate --config FILE\n"
    "       ketenpoort db backup --config FILE --to FILE\n"
    "what each does: man ketenpoort (docs/man/ketenpoort.8)\n";

int migrate(const Args& args) {
  const int applied = migrateStore(Flags(args, {"--config"}).config());
  std::cout << (applied == 0 ? "the database is at the current schema version already\n"
                             : "applied " + std::to_string(applied) + " migration(s)\n");
  return 0;
}

// A consistent copy of the running gateway's SQLite store (docs/operations.md). PostgreSQL
// has its own tools for that, which know its write-ahead log and several nodes.
int backup(const Args& args) {
  const Flags flags(args, {"--config", "--to"});
  const std::string target = flags.required("--to");
  const GatewayConfig config = flags.config();
  if (config.storage_backend == StorageBackend::kPostgresql) {
    throw std::runtime_error(
        "the store is on PostgreSQL: back it up with pg_dump or continuous archiving (docs/operations.md)");
  }
  const auto copied =
      backupSqliteStore(config.storage_path, target, static_cast<int>(config.storage_busy_timeout.count()));
  std::cout << "backed up " << config.storage_path.string() << " to " << target << " (" << copied.pages << " pages, "
            << copied.bytes << " bytes)\n"
            << "check it: ketenpoort log verify --db " << target << " --public-key "
            << (config.keyDirectory() / "log-signing.key.pub").string() << "\n";
  return 0;
}

}  // namespace

int dbCommand(const Args& args) {
  return runSubcommand("db", kDbUsage, args, {{"migrate", migrate}, {"backup", backup}});
}

}  // namespace ketenpoort::cli
