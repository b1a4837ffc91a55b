#pragma once

#include "gateway/concurrency/batch_queue.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/store/group_commit_log.hpp"
#include "gateway/store/record_codec.hpp"

struct sqlite3;

namespace ketenpoort {

class RegistryChangeMarker;

// The name the SQLite store's one chain carries in every table of the chain (a PostgreSQL
// store has one per node), and its outbox entries as their lease's node.
inline constexpr std::string_view kSqliteChain = "local";

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

// The exchange log in one SQLite file (WAL), the embedded default store: the one
// group-commit writer (GroupCommitLog: one fsync per group, fail-closed when a commit fails
// — disk full, read-only file, a lock held past the busy timeout) on SQLite.
//
// The registry tables live in the same file, so a registry change and its record commit
// together (SqliteRegistryStore reads them). Several processes may append to one file:
// the chain's tail is re-read under the write lock.
class SqliteExchangeLog final : public GroupCommitLog {
 public:
  // Opens or creates the database and keys; throws std::runtime_error when it cannot.
  explicit SqliteExchangeLog(ExchangeLogOptions options, const TimeSource& clock = systemTime());
  ~SqliteExchangeLog() override;  // drains the queue, writes a final checkpoint
  SqliteExchangeLog(const SqliteExchangeLog&) = delete;
  SqliteExchangeLog& operator=(const SqliteExchangeLog&) = delete;

  // The marker this writer announces its registry changes with to other processes.
  RegistryChangeMarker& registryMarker() { return *registry_marker_; }

  PurgeBatchResult purgeBatch(const PurgeBatchRequest& request) override;

 private:
  struct Writer;

  sql::Session& writerSession() override;
  void writerStarted() override;
  void beginGroup(bool sync) override;
  std::unique_ptr<SqlStoreTransaction> transactionFor(RegistryChanges& changes) override;
  ChainTail lockChain() override;
  void insertRecords(const std::vector<ChainedRecord>& records) override;
  void registriesCommitted(std::uint64_t version) override;
  void groupEnded() override;
  void runWalCheckpoints();

  ExchangeLogOptions options_;
  std::unique_ptr<RegistryChangeMarker> registry_marker_;
  std::unique_ptr<Writer> writer_;
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
