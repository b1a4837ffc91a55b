#include "gateway/pg_store/pg_exchange_log.hpp"

#include <poll.h>

#include <algorithm>
#include <future>
#include <memory>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/pg_store/pg_registry_store.hpp"
#include "gateway/pg_store/pg_schema.hpp"
#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/registry_tables.hpp"
#include "gateway/store/sql_outbox.hpp"
#include "gateway/store/sql_store_transaction.hpp"

namespace ketenpoort {

using pg::Bytes;
using pg::Param;

namespace {

// Held from a group's first record until its commit, by whichever node: positions are
// handed out and committed in one order, so a keyset page of the audit never passes over
// a record that commits later with a smaller position.
constexpr std::int64_t kLogLock = 0x6b6574656e6c6f67;  // "ketenlog"
constexpr const char* kRegistryChannel = "ketenpoort_registry";

std::string copyRecordsStatement() {
  std::string columns = "position, node_id, seq";
  for (auto c : kHashedColumns) columns += ", " + std::string(c);
  return "COPY exchange_log (" + columns + ", previous_hash, record_hash, subject_key) FROM STDIN";
}

void prepareSession(pg::Connection& c, std::chrono::milliseconds lock_timeout) {
  c.execute("SET lock_timeout = '" + std::to_string(lock_timeout.count()) + "ms'");
}

// The writes a record's change may do, on the writer's connection inside its transaction:
// the registries' as every store writes them, the outbox's and the transaction id's claim
// as several nodes need them.
class PgTransaction final : public SqlStoreTransaction {
 public:
  PgTransaction(PgSession& session, const PgLogOptions& options, RegistryChanges& changes, const TimeSource& clock)
      : SqlStoreTransaction(session, changes, clock),
        c_(session.connection()),
        node_id_(options.node_id),
        lease_(options.outbox_lease) {}

  bool exchangeLogged(const std::string& transaction_id) override {
    // The claim waits for another node's uncommitted claim of the same id and then
    // finds it: two nodes pushed the same id at once, one of them writes it.
    const sql::Rows claimed =
        c_.run("INSERT INTO exchange_transactions (transaction_id, node_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
               {std::string_view(transaction_id), std::string_view(node_id_)});
    if (claimed.affected() != 1) return true;
    return chain_tables::logged(session_, transaction_id);
  }
  void enqueueDelivery(const OutboxEntry& e, std::string_view body) override {
    outbox_tables::enqueue(session_, e, body, node_id_, lease_);
  }

 private:
  pg::Connection& c_;
  const std::string& node_id_;
  std::chrono::milliseconds lease_;
};

}  // namespace

PgExchangeLog::PgExchangeLog(PgLogOptions options, const TimeSource& clock)
    : GroupCommitLog({options.checkpoint_every_records, options.checkpoint_every, options.max_batch, options.max_queue},
                     LogSigner::loadOrCreate(options.signing_key), options.node_id, clock),
      options_(std::move(options)) {
  if (options_.node_id.empty()) throw std::runtime_error("a PostgreSQL store needs a node id");
  writer_ = std::make_unique<pg::Connection>(options_.dsn);
  writer_session_.emplace(*writer_);
  pg::requireCurrentSchema(*writer_);
  prepareSession(*writer_, options_.lock_timeout);
  // A node id is bound to the key that signs its chain: a second node started with the
  // same id and another key would fork the chain under a name it cannot sign for.
  // A new node signs an empty head at once, in the same transaction: from then on its chain
  // always has a signed head, and one without was emptied (issue 25).
  sql::inTransaction(*writer_session_, "BEGIN", [&] {
    const sql::Rows registered = writer_->run(
        "INSERT INTO log_nodes (node_id, public_key_pem, registered_utc) VALUES ($1, $2, $3) "
        "ON CONFLICT (node_id) DO NOTHING",
        {std::string_view(options_.node_id), std::string_view(signer().publicKeyPem()),
         std::string_view(clock.nowRfc3339())});
    if (registered.affected() != 1) return 0;
    SignedHead empty{0, std::string(32, '\0'), clock.nowRfc3339(), std::string(32, '\0'), {}};
    empty.signature = signer().sign(headMessage(empty));
    chain_tables::writeHead(*writer_session_, options_.node_id, empty);
    return 1;
  });
  const sql::Rows key =
      writer_->run("SELECT public_key_pem FROM log_nodes WHERE node_id = $1", {std::string_view(options_.node_id)});
  if (key.text(0, 0) != signer().publicKeyPem()) {
    throw std::runtime_error("node " + options_.node_id + " is registered with another signing key");
  }
  const std::uint64_t checkpointed = chain_tables::lastCheckpointSequence(*writer_session_, options_.node_id);
  // At start the tables are the truth; from then on the change rows say what others did.
  registrySnapshot().replace(registry_tables::load(*writer_session_));
  // Several chains: the position the log's lock hands out orders them all.
  useReaders(PgSession::forReads(options_.dsn), PgSession::forReads(options_.dsn), "position");
  startWriter(chain_tables::tail(*writer_session_, options_.node_id), checkpointed);
  registry_watcher_ = std::thread([this] { watchRegistries(); });
}

PgExchangeLog::~PgExchangeLog() {
  stopping_ = true;
  stopWriter();
  registry_watcher_.join();
}

void PgExchangeLog::requireSubjectKey(const std::string& fingerprint) {
  pg::Connection c(options_.dsn);
  c.run("INSERT INTO store_settings (name, value) VALUES ('subject-key-fingerprint', $1) ON CONFLICT DO NOTHING",
        {std::string_view(fingerprint)});
  const sql::Rows kept = c.run("SELECT value FROM store_settings WHERE name = 'subject-key-fingerprint'");
  if (kept.text(0, 0) != fingerprint) {
    throw std::runtime_error(
        "this node's subject key (subject.key) is not the one the database's other nodes use: copy subject.key from a "
        "node");
  }
}

void PgExchangeLog::catchUpRegistries(sql::Session& session, std::uint64_t version) {
  if (registrySnapshot().version() >= version) return;
  registry_tables::catchUp(session, registrySnapshot());
}

sql::Session& PgExchangeLog::writerSession() { return *writer_session_; }

void PgExchangeLog::beginGroup(bool sync) {
  if (!writer_->alive()) {
    writer_->reconnect();  // after a restart or failover of the server
    prepareSession(*writer_, options_.lock_timeout);
  }
  writer_->execute("BEGIN");
  // A group of only deferred bookkeeping is reported before its WAL is flushed; the next
  // synchronous commit flushes it (PostgreSQL's WAL is flushed in order).
  if (!sync) writer_->execute("SET LOCAL synchronous_commit = off");
}

std::unique_ptr<SqlStoreTransaction> PgExchangeLog::transactionFor(RegistryChanges& changes) {
  return std::make_unique<PgTransaction>(*writer_session_, options_, changes, timeSource());
}

ChainTail PgExchangeLog::lockChain() {
  writer_->run("SELECT pg_advisory_xact_lock($1)", {kLogLock});
  // Another process of this node id (a CLI recording an audit query) may have appended
  // since our last commit; under the lock, the database's tail is the truth.
  next_position_ = writer_->run("SELECT COALESCE(MAX(position), 0) FROM exchange_log").integer(0, 0);
  return chain_tables::tail(*writer_session_, options_.node_id);
}

void PgExchangeLog::insertRecords(const std::vector<ChainedRecord>& records) {
  std::vector<std::vector<Param>> rows;
  rows.reserve(records.size());
  for (const ChainedRecord& r : records) {
    std::vector<Param> row{++next_position_, std::string_view(options_.node_id), static_cast<std::int64_t>(r.sequence)};
    for (const std::string& column : *r.columns) row.emplace_back(std::string_view(column));
    row.emplace_back(Bytes{r.previous_hash});
    row.emplace_back(Bytes{r.record_hash});
    row.emplace_back(subjectKey((*r.columns)[kSubjectRefColumn]));
    rows.push_back(std::move(row));
  }
  writer_->copyRows(copyRecordsStatement(), rows);
}

void PgExchangeLog::registriesChanged() {
  writer_->execute(std::string("NOTIFY ") + kRegistryChannel);  // delivered when this commits
}

bool PgExchangeLog::writeAgain(const std::exception& error, int attempt, bool commit_sent) {
  const auto* pg_error = dynamic_cast<const pg::PgError*>(&error);
  if (pg_error == nullptr) return false;
  // A deadlock between two nodes (each waiting for the other's claim of a transaction id)
  // is written again.
  if (pg_error->retryable() && attempt < 3) return true;
  // The connection was lost (the server restarted, a proxy or failover cut it) before
  // COMMIT went out: nothing of the group is in the database, and it is written once more
  // on a new connection. After COMMIT went out the outcome is unknown, and the group is
  // reported not durable (a sender's retry is then a replay if it did commit).
  return !writer_->alive() && !commit_sent && attempt < 1;
}

void PgExchangeLog::watchRegistries() {
  // Another node's registry change reaches this node's snapshot within a moment even when
  // no push comes by: a notification wakes this watcher (and a version check every few
  // seconds covers a notification lost with a connection).
  std::unique_ptr<pg::Connection> c;
  auto last_check = systemTime().monotonicNow() - std::chrono::hours(1);
  while (!stopping_.load()) {
    try {
      if (!c || !c->alive()) {
        c = std::make_unique<pg::Connection>(options_.dsn);
        c->execute(std::string("LISTEN ") + kRegistryChannel);
        last_check = systemTime().monotonicNow() - std::chrono::hours(1);
      }
      pollfd fd{c->socket(), POLLIN, 0};
      ::poll(&fd, 1, 200);
      const bool notified = !c->notifications().empty();
      const auto now = systemTime().monotonicNow();
      if (notified || now - last_check >= std::chrono::seconds(2)) {
        last_check = now;
        PgSession session(*c);
        if (registry_tables::version(session) != registrySnapshot().version()) {
          registry_tables::catchUp(session, registrySnapshot());
        }
      }
    } catch (const std::exception&) {  // the database is away: try again shortly
      c.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

namespace {

// Purges of any chain wait for each other (two would number their records alike); pushes
// do not wait for a purge.
constexpr std::int64_t kPurgeLock = 0x6b6574656e707267;  // "ketenprg"

// A purge of one node's chain: as every store's, and the claim on a transaction id goes
// once no record of it is left (issue 25).
class PgPurgeWindow final : public chain_tables::PurgeWindow {
 public:
  using PurgeWindow::PurgeWindow;

 private:
  void forgetRun(const PurgedRun& run) override {
    s_.run(
        "DELETE FROM exchange_transactions t WHERE t.transaction_id IN "
        "(SELECT transaction_id FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3) "
        "AND NOT EXISTS (SELECT 1 FROM exchange_log e WHERE e.transaction_id = t.transaction_id "
        "AND NOT (e.node_id = $1 AND e.seq BETWEEN $2 AND $3))",
        {std::string_view(chain_), static_cast<std::int64_t>(run.first), static_cast<std::int64_t>(run.last)});
  }
};

}  // namespace

PurgeBatchResult PgExchangeLog::purgeBatch(const PurgeBatchRequest& request) {
  return purgeThroughWriter(request, [this](sql::Session&) -> std::unique_ptr<PurgeTarget> {
    writer_->run("SELECT pg_advisory_xact_lock($1)", {kPurgeLock});
    return std::make_unique<PgPurgeWindow>(*writer_session_, options_.node_id);
  });
}

}  // namespace ketenpoort
