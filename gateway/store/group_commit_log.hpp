#pragma once
// The one group-commit writer every store's exchange log runs (issue 26). Appends come from
// any thread and never touch the database there: one writer thread takes everything
// queued, writes it in one transaction (one sync for the group) and only then reports each
// record durable. Every N records or T seconds it adds a signed checkpoint; every commit
// signs the head. A change that refuses is rare: a group is written without savepoints,
// and only when one refuses, again with a savepoint per item, so that item refuses alone.
//
// Fail-closed: when a group cannot be written, every record of it is reported not durable,
// the chain does not advance, and healthy() is false until a later group commits.
//
// What each database does its own way is a hook below, each run on the writer's thread:
// how a transaction opens and syncs, how the chain is locked and its tail read, how records
// are inserted (SQLite: a prepared insert; PostgreSQL: COPY), where checkpoints and the
// head live (one chain, or one per node), and whether a failed group is written again.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/calendar/time_source.hpp"
#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/store/chain_tables.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/registry_snapshot.hpp"
#include "gateway/store/sql_store_transaction.hpp"

namespace ketenpoort {

struct GroupCommitOptions {
  std::size_t checkpoint_every_records = 10'000;
  std::chrono::milliseconds checkpoint_every{60'000};
  std::size_t max_batch = 8'192;    // records and writes per transaction at most
  std::size_t max_queue = 100'000;  // beyond this, appends fail at once
};

// A record as the writer inserts it.
struct ChainedRecord {
  std::uint64_t sequence = 0;
  const std::array<std::string, kHashedColumns.size()>* columns = nullptr;
  std::string_view previous_hash;
  std::string_view record_hash;
};

class GroupCommitLog : public ExchangeLog {
 public:
  ~GroupCommitLog() override;

  using ExchangeLog::append;
  void append(ExchangeRecord record, StoreChange change, Callback done) final;
  void write(DatabaseWrite write, Callback done, Sync sync = Sync::kDurable) final;

  std::vector<LoggedExchange> findExchanges(const ExchangeQuery& query) const final;
  std::optional<LoggedExchange> findTransaction(const std::string& transaction_id) const final;

  bool healthy() const final { return healthy_.load(); }
  std::uint64_t lastSequence() const final { return committed_sequence_.load(); }
  const std::string& publicKeyPem() const final { return signer_.publicKeyPem(); }
  // The one source of time the store stamps and paces by.
  const TimeSource& timeSource() const final { return clock_; }

  // The registries in memory (ADR 0012), kept current by this writer with its own commits
  // and caught up when another process or node changed them.
  RegistrySnapshot& registrySnapshot() { return registry_snapshot_; }
  const RegistrySnapshot& registrySnapshot() const { return registry_snapshot_; }

 protected:
  // `chain`: the name this writer's chain carries in every table (a node's id).
  // `clock` stamps every record's checkpoint and head, and paces the checkpoints.
  GroupCommitLog(GroupCommitOptions options, LogSigner signer, std::string chain, const TimeSource& clock);

  // The sessions reads run on, each its own so that neither waits for the other: a
  // replayed push's look for its first exchange, and audit searches however long they
  // take. `order` names the column that orders every chain's records together. The
  // subclass's constructor calls it before startWriter.
  void useReaders(std::unique_ptr<sql::Session> push_reads, std::unique_ptr<sql::Session> audit_reads,
                  std::string order);

  // The subclass's constructor calls startWriter last (its hooks exist from then on), its
  // destructor stopWriter first (the queue drains, a final checkpoint is written).
  void startWriter(const ChainTail& tail, std::uint64_t checkpointed_sequence);
  void stopWriter();
  const LogSigner& signer() const { return signer_; }
  const std::string& chain() const { return chain_; }
  // For a purge: its window's write waits for at most one group.
  PurgeBatchResult purgeThroughWriter(const PurgeBatchRequest& request,
                                      std::function<std::unique_ptr<PurgeTarget>(sql::Session&)> target);

  // --- the hooks, on the writer's thread ---
  virtual sql::Session& writerSession() = 0;
  virtual void writerStarted() {}
  // Opens the group's transaction. `sync` false: only deferred bookkeeping, which may
  // commit without a sync of its own (ADR 0011).
  virtual void beginGroup(bool sync) = 0;
  virtual std::unique_ptr<SqlStoreTransaction> transactionFor(RegistryChanges& changes) = 0;
  // Holds the chain until the commit (another process or node of this chain may append)
  // and reads its tail.
  virtual ChainTail lockChain() = 0;
  virtual void insertRecords(const std::vector<ChainedRecord>& records) = 0;
  // Inside the transaction, when the group changed the registries (to wake other nodes).
  virtual void registriesChanged() {}
  // Whether a group that failed with `error` is written once more (`attempt` from 0;
  // `commit_sent`: the COMMIT went out, so the outcome is unknown).
  virtual bool writeAgain(const std::exception& error, int attempt, bool commit_sent) {
    (void)error;
    (void)attempt;
    (void)commit_sent;
    return false;
  }
  // After a group committed its registry changes (to tell other processes).
  virtual void registriesCommitted(std::uint64_t version) { (void)version; }
  // After every group, committed or not.
  virtual void groupEnded() {}

 private:
  struct Pending {
    // The record's column texts, encoded by the appending thread so that the writer only
    // hashes and inserts.
    std::array<std::string, kHashedColumns.size()> columns;
    Callback done;
    StoreChange change;
    DatabaseWrite write;  // set: not an exchange, no record (columns unused)
    Sync sync = Sync::kDurable;
  };
  struct Group;

  void enqueue(Pending pending);
  void run();
  void writeGroup(Group& group, bool per_item_savepoints);
  void reportGroup(Group& group, const std::string& error);

  GroupCommitOptions options_;
  LogSigner signer_;
  std::string chain_;
  const TimeSource& clock_;
  mutable std::mutex push_reads_mutex_;
  std::unique_ptr<sql::Session> push_reads_;
  mutable std::mutex audit_reads_mutex_;
  std::unique_ptr<sql::Session> audit_reads_;
  std::string order_;
  RegistrySnapshot registry_snapshot_;
  BatchQueue<Pending> queue_{options_.max_queue};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> committed_sequence_{0};
  // The writer thread's:
  ChainTail tail_;
  std::uint64_t checkpointed_sequence_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_time_;
  std::thread thread_;
};

}  // namespace ketenpoort
