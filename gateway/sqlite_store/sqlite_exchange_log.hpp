#pragma once

#include "gateway/concurrency/batch_queue.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/config/gateway_config.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/registry_snapshot.hpp"

struct sqlite3;

namespace ketenpoort {

class RegistryChangeMarker;

struct ExchangeLogOptions {
  std::filesystem::path database;     // one SQLite file (WAL)
  std::filesystem::path signing_key;  // Ed25519, created on first start (and .pub beside it)
  std::size_t checkpoint_every_records = 10'000;
  std::chrono::milliseconds checkpoint_every{60'000};
  std::chrono::milliseconds busy_timeout{5'000};  // a locked database waits this long, then fails
  std::size_t max_batch = 8'192;                  // records per transaction at most
  std::size_t max_queue = 100'000;                // beyond this, appends fail at once
  // Caps the database at this many pages (0: no cap). Reaching it fails closed exactly as
  // a full disk does; also lets tests produce a full disk.
  std::uint64_t max_database_pages = 0;
};

// The options the gateway's config implies: the database at <storage path>, the signing
// key beside it. Shared by the server and the CLI so they always open the same log.
ExchangeLogOptions exchangeLogOptionsFor(const GatewayConfig& config);

// The exchange log in one SQLite file (WAL), the embedded default store. Appends come
// from any thread and never touch the disk there: one writer thread takes everything
// queued, writes it in one transaction (group commit: one fsync for the batch) and only
// then reports each record durable. Every N records or T seconds it adds a checkpoint
// signed with the gateway's Ed25519 key.
//
// Fail-closed: if a commit fails (disk full, read-only file, lock held past the busy
// timeout), every record of the batch is reported not durable, the chain does not
// advance, and healthy() turns false until a later commit succeeds.
//
// The registry tables live in the same file, so a registry change and its record commit
// together (SqliteRegistryStore reads them). Several processes may append to one file:
// the chain's tail is re-read under the write lock.
class SqliteExchangeLog final : public ExchangeLog {
 public:
  // Opens or creates the database and keys; throws std::runtime_error when it cannot.
  explicit SqliteExchangeLog(ExchangeLogOptions options);
  ~SqliteExchangeLog() override;  // drains the queue, writes a final checkpoint
  SqliteExchangeLog(const SqliteExchangeLog&) = delete;
  SqliteExchangeLog& operator=(const SqliteExchangeLog&) = delete;

  using ExchangeLog::append;
  void append(ExchangeRecord record, StoreChange change, Callback done) override;

  void write(DatabaseWrite write, Callback done, Sync sync = Sync::kDurable) override;

  // The registries in memory, kept current by this writer (ADR 0012), and the marker it
  // announces their changes with to other processes.
  RegistrySnapshot& registrySnapshot() { return registry_snapshot_; }
  RegistryChangeMarker& registryMarker() { return *registry_marker_; }

  bool healthy() const override { return healthy_.load(); }
  std::uint64_t lastSequence() const override { return committed_sequence_.load(); }
  const std::string& publicKeyPem() const override;

  std::vector<LoggedExchange> findExchanges(const ExchangeQuery& query) const override;
  std::optional<LoggedExchange> findTransaction(const std::string& transaction_id) const override;
  PurgeBatchResult purgeBatch(const PurgeBatchRequest& request) override;

 private:
  struct Pending {
    // The record's column texts, encoded by the appending thread so that the single
    // writer thread only hashes and inserts.
    std::array<std::string, kHashedColumns.size()> columns;
    Callback done;
    StoreChange change;
    DatabaseWrite write;  // set: not an exchange, no record (columns unused)
    Sync sync = Sync::kDurable;
  };
  struct Writer;
  struct Reader;

  void enqueue(Pending pending);
  void run();
  // Brings the snapshot to the database's registries when another process changed them.
  void catchUpRegistries();
  void runWalCheckpoints();

  ExchangeLogOptions options_;
  RegistrySnapshot registry_snapshot_;
  std::unique_ptr<RegistryChangeMarker> registry_marker_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Reader> reader_;        // the push path's reads (a replay's first exchange)
  std::unique_ptr<Reader> audit_reader_;  // audit searches, however long they take
  BatchQueue<Pending> queue_{options_.max_queue};  // to the writer thread
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> committed_sequence_{0};
  std::thread thread_;
  // Paces the checkpointer's rounds (its timeout); nothing is queued on it, closing it
  // stops the checkpointer.
  BatchQueue<char> checkpointer_pace_{1};
  std::thread checkpointer_;  // copies the WAL into the database beside the writer
  // A body was removed since the WAL was last truncated: its old page images may still be
  // in the WAL until the checkpointer truncates it (set by the writer's update hook).
  std::atomic<bool> bodies_removed_{false};
  std::atomic<std::int64_t> last_commit_ns_{0};  // steady clock, for "the writer is idle"
};

}  // namespace ketenpoort
