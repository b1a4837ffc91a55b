#pragma once

#include <filesystem>
#include <string_view>

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/sql_outbox.hpp"

namespace ketenpoort {

// The outbox and the bodies waiting for delivery (table `outbox_bodies`), in the gateway's
// database beside the log: the statements every store shares (SqlOutboxStore) on SQLite.
// Entries and bodies are created in the log writer's transaction with their record (ADR
// 0011). The exchange_log table never holds a body; a removed body is zeroed
// (secure_delete) and the WAL that held it truncated once the writer is idle
// (SqliteExchangeLog). State changes go through the log's writer thread: one writer per
// database file, so they share its group commit instead of contending for SQLite's write
// lock with it (which, under load, left each change waiting in the busy handler for
// milliseconds). One node: due entries are read, not leased.
class SqliteOutboxStore final : public SqlOutboxStore {
 public:
  SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer);

  // Takes the bodies of waiting entries from the separate payload file older versions
  // kept (`outbox-payloads.db`); returns how many. The caller removes the file after.
  std::size_t importLegacyBodies(const std::filesystem::path& legacy_file);

 private:
  std::filesystem::path database_;
};

namespace sqlite_outbox {
// The name the one node's entries carry as their lease's node.
inline constexpr std::string_view kNode = kSqliteChain;
std::size_t importBodies(sql::Session& s, const std::filesystem::path& legacy_file);
}  // namespace sqlite_outbox

}  // namespace ketenpoort
