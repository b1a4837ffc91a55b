#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/registry_snapshot.hpp"

namespace ketenpoort {

struct PgLogOptions {
  std::string dsn;
  std::string node_id;                // this node's chain
  std::filesystem::path signing_key;  // this node's Ed25519 key (and .pub beside it)
  std::size_t checkpoint_every_records = 10'000;
  std::chrono::milliseconds checkpoint_every{60'000};
  // A statement that waits for a lock longer than this fails, and so does its group
  // (fail-closed), rather than stalling the writer behind another node.
  std::chrono::milliseconds lock_timeout{5'000};
  std::size_t max_batch = 8'192;
  std::size_t max_queue = 100'000;
  // How long a node holds an outbox entry it queued or took (outbox/@lease-ms).
  std::chrono::milliseconds outbox_lease{60'000};
};

// The exchange log in PostgreSQL, one of several nodes sharing a database (ADR 0016).
// As SqliteExchangeLog: appends come from any thread; one writer thread takes everything
// queued and writes it in one transaction (group commit: one WAL flush for the batch),
// then reports each record durable. Each node appends to its own hash chain (node id,
// sequence, previous hash) with its own signing key, its own checkpoints and its own
// signed head; `position`, assigned under the log's advisory lock, orders all nodes'
// records for the privacy officer.
//
// Fail-closed: when the database cannot be written (down, read-only, a lock held past the
// timeout), every record of the group is reported not durable and healthy() is false
// until a later group commits; the writer reconnects by itself.
class PgExchangeLog final : public ExchangeLog {
 public:
  // Connects, checks the schema (`ketenpoort db migrate` makes it), registers the node
  // with its public key (refusing a node id registered with another key), reads the
  // node's tail and the registries. Throws std::runtime_error when it cannot.
  explicit PgExchangeLog(PgLogOptions options);
  ~PgExchangeLog() override;  // drains the queue, writes a final checkpoint
  PgExchangeLog(const PgExchangeLog&) = delete;
  PgExchangeLog& operator=(const PgExchangeLog&) = delete;

  // Records the subject-reference key's fingerprint on first use of the database and
  // throws when this node's key is another (its references would split a person's records).
  void requireSubjectKey(const std::string& fingerprint);

  using ExchangeLog::append;
  void append(ExchangeRecord record, StoreChange change, Callback done) override;

  // kDeferred: synchronous_commit off for a group of only such writes.
  void write(DatabaseWrite write, Callback done, Sync sync = Sync::kDurable) override;

  // The registries in memory (ADR 0012): current with this node's commits, and loaded
  // anew when another node's change is seen (each group compares versions; a
  // notification wakes the watcher while the node is idle).
  const RegistrySnapshot& currentRegistries() const { return registry_snapshot_; }
  // Loads the registries anew on `connection` when the snapshot is older than `version`
  // (what the database held when an outbox entry was taken: the basis it is checked
  // against when it leaves must include every change committed before it).
  void catchUpRegistries(sql::Session& session, std::uint64_t version);

  bool healthy() const override { return healthy_.load(); }
  std::uint64_t lastSequence() const override { return committed_sequence_.load(); }
  const std::string& publicKeyPem() const override { return signer_.publicKeyPem(); }
  const std::string& nodeId() const { return options_.node_id; }

  std::vector<LoggedExchange> findExchanges(const ExchangeQuery& query) const override;
  std::optional<LoggedExchange> findTransaction(const std::string& transaction_id) const override;
  // Purges this node's chain (each node purges its own: the purge record is signed with
  // the chain's key).
  PurgeBatchResult purgeBatch(const PurgeBatchRequest& request) override;

 private:
  struct Pending {
    std::array<std::string, kHashedColumns.size()> columns;
    Callback done;
    StoreChange change;
    DatabaseWrite write;
    Sync sync = Sync::kDurable;
  };
  struct Group;

  void enqueue(Pending pending);
  void run();
  void writeGroup(Group& group, bool per_item_savepoints);
  void reloadRegistries(pg::Connection& connection);
  void watchRegistries();

  PgLogOptions options_;
  LogSigner signer_;
  RegistrySnapshot registry_snapshot_;
  std::unique_ptr<pg::Connection> writer_;
  mutable std::mutex reader_mutex_;
  std::unique_ptr<pg::Connection> reader_;        // the push path's reads (a replay's first exchange)
  mutable std::mutex audit_mutex_;
  std::unique_ptr<pg::Connection> audit_reader_;  // audit searches, however long they take
  BatchQueue<Pending> queue_{options_.max_queue};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> committed_sequence_{0};
  std::uint64_t last_sequence_ = 0;  // the writer thread's
  std::string last_hash_;
  std::uint64_t checkpointed_sequence_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_time_ = std::chrono::steady_clock::now();
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::thread registry_watcher_;
};

}  // namespace ketenpoort
