#pragma once

#include <filesystem>
#include <mutex>
#include <string_view>

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/outbox.hpp"

struct sqlite3;

namespace ketenpoort {

// The outbox and the bodies waiting for delivery (table `outbox_bodies`), in the gateway's
// database beside the log (entries and bodies are created in the log writer's
// transaction with their record; see sqlite_outbox::enqueue, ADR 0011). The exchange_log
// table never holds a body; a removed body is zeroed (secure_delete) and the WAL that
// held it truncated once the writer is idle (SqliteExchangeLog). Its own connection does the
// reads. State changes need no log record but go through the log's writer thread all the
// same (SqliteExchangeLog::write): one writer per database file, so they share its group
// commit instead of contending for SQLite's write lock with it (which, under load, left
// each change waiting in the busy handler for milliseconds).
class SqliteOutboxStore final : public OutboxStore {
 public:
  SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer);
  ~SqliteOutboxStore() override;

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override;
  void recordFailure(const OutboxEntry& entry, const std::string& error,
                     std::optional<std::int64_t> next_attempt_ms, Done done) override;
  void markDelivered(const OutboxEntry& entry, Done done) override;
  std::vector<OutboxEntry> postbus(const std::string& recipient_party_id,
                                   std::size_t limit) override;
  bool acknowledge(const std::string& recipient_party_id,
                   const std::string& transaction_id) override;
  std::optional<std::string> body(const std::string& transaction_id) override;
  std::optional<OutboxEntry> find(const std::string& transaction_id) override;
  std::vector<OutboxEntry> list(const DeliveryQuery& query) override;
  std::uint64_t count(DeliveryState state) override;

  // Takes the bodies of waiting entries from the separate payload file older versions
  // kept (`outbox-payloads.db`); returns how many. The caller removes the file after.
  std::size_t importLegacyBodies(const std::filesystem::path& legacy_file);

 private:
  std::vector<OutboxEntry> select(const std::string& where, const std::vector<std::string>& args);

  SqliteExchangeLog& writer_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

namespace sqlite_outbox {
void createSchema(sqlite3* db);
// Throws when the transaction id is queued already (or a body is kept under it).
void enqueue(sqlite3* db, const OutboxEntry& entry, std::string_view body);
// The entry's state becomes `withdrawn` and its body goes.
void withdraw(sqlite3* db, const std::string& transaction_id, const std::string& reason);
std::size_t importBodies(sqlite3* db, const std::filesystem::path& legacy_file);
}  // namespace sqlite_outbox

}  // namespace ketenpoort
