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

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/group_commit_log.hpp"

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

// The exchange log in PostgreSQL, one of several nodes sharing a database (ADR 0016): the
// one group-commit writer (GroupCommitLog: one WAL flush per group) on PostgreSQL. Each
// node appends to its own hash chain (node id,
// sequence, previous hash) with its own signing key, its own checkpoints and its own
// signed head; `position`, assigned under the log's advisory lock, orders all nodes'
// records for the privacy officer.
//
// Fail-closed: when the database cannot be written (down, read-only, a lock held past the
// timeout), every record of the group is reported not durable and healthy() is false
// until a later group commits; the writer reconnects by itself.
class PgExchangeLog final : public GroupCommitLog {
 public:
  // Connects, checks the schema (`ketenpoort db migrate` makes it), registers the node
  // with its public key (refusing a node id registered with another key), reads the
  // node's tail and the registries. Throws std::runtime_error when it cannot.
  explicit PgExchangeLog(PgLogOptions options, const TimeSource& clock = systemTime());
  ~PgExchangeLog() override;  // drains the queue, writes a final checkpoint
  PgExchangeLog(const PgExchangeLog&) = delete;
  PgExchangeLog& operator=(const PgExchangeLog&) = delete;

  // Records the subject-reference key's fingerprint on first use of the database and
  // throws when this node's key is another (its references would split a person's records).
  void requireSubjectKey(const std::string& fingerprint);

  // Loads the registries anew on `session` when the snapshot is older than `version`
  // (what the database held when an outbox entry was taken: the basis it is checked
  // against when it leaves must include every change committed before it).
  void catchUpRegistries(sql::Session& session, std::uint64_t version);

  const std::string& nodeId() const { return options_.node_id; }

  // Purges this node's chain (each node purges its own: the purge record is signed with
  // the chain's key).
  PurgeBatchResult purgeBatch(const PurgeBatchRequest& request) override;

 private:
  sql::Session& writerSession() override;
  void beginGroup(bool sync) override;
  std::unique_ptr<SqlStoreTransaction> transactionFor(RegistryChanges& changes) override;
  ChainTail lockChain() override;
  void insertRecords(const std::vector<ChainedRecord>& records) override;
  void registriesChanged() override;
  bool writeAgain(const std::exception& error, int attempt, bool commit_sent) override;
  void watchRegistries();

  PgLogOptions options_;
  std::unique_ptr<pg::Connection> writer_;
  std::optional<PgSession> writer_session_;  // over writer_
  std::int64_t next_position_ = 0;           // the writer's, under the log's lock
  std::atomic<bool> stopping_{false};
  std::thread registry_watcher_;
};

}  // namespace ketenpoort
