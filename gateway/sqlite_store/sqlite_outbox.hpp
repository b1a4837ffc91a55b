#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/outbox.hpp"

struct sqlite3;

namespace ketenpoort {

// The outbox table, in the gateway's database beside the log (entries are created in the
// log writer's transaction; see sqlite_outbox::enqueue). Its own connection does the
// reads. State changes need no log record but go through the log's writer thread all the
// same (SqliteExchangeLog::write): one writer per database file, so they share its group
// commit instead of contending for SQLite's write lock with it (which, under load, left
// each change waiting in the busy handler for milliseconds).
class SqliteOutboxStore final : public OutboxStore {
 public:
  SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer);
  ~SqliteOutboxStore() override;

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override;
  void recordFailure(const std::string& transaction_id, const std::string& error,
                     std::optional<std::int64_t> next_attempt_ms, Done done) override;
  void markDelivered(const std::string& transaction_id, Done done) override;
  std::vector<OutboxEntry> postbus(const std::string& recipient_party_id,
                                   std::size_t limit) override;
  bool acknowledge(const std::string& recipient_party_id,
                   const std::string& transaction_id) override;
  std::optional<OutboxEntry> find(const std::string& transaction_id) override;
  std::vector<OutboxEntry> list(const DeliveryQuery& query) override;
  std::uint64_t count(DeliveryState state) override;

 private:
  std::vector<OutboxEntry> select(const std::string& where, const std::vector<std::string>& args);

  SqliteExchangeLog& writer_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

// Bodies waiting for delivery, in their own SQLite file (mode 0600, secure_delete on), so
// the exchange log's database never holds a body. One writer thread commits whatever is
// queued in one transaction, like the log.
class SqlitePayloadStore final : public PayloadStore {
 public:
  explicit SqlitePayloadStore(const std::filesystem::path& database);
  ~SqlitePayloadStore() override;

  void put(std::string transaction_id, std::string body, Callback done) override;
  std::optional<std::string> get(const std::string& transaction_id) override;
  void remove(const std::string& transaction_id) override;
  std::size_t sweep(const std::function<bool(const std::string&)>& keep) override;

 private:
  struct Pending {
    std::string transaction_id;
    std::string body;  // empty with no callback: a removal
    Callback done;
  };
  void run();

  sqlite3* writer_ = nullptr;
  std::mutex read_mutex_;
  sqlite3* reader_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

namespace sqlite_outbox {
void createSchema(sqlite3* db);
// Throws when the transaction id is queued already.
void enqueue(sqlite3* db, const OutboxEntry& entry);
void withdraw(sqlite3* db, const std::string& transaction_id, const std::string& reason);
}  // namespace sqlite_outbox

}  // namespace ketenpoort
