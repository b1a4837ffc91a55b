#include "gateway/sqlite_store/sqlite_exchange_log.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_outbox.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"
#include "gateway/sqlite_store/sqlite_schema.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/registry_tables.hpp"
#include "gateway/store/sql_outbox.hpp"
#include "gateway/store/sql_store_transaction.hpp"

namespace ketenpoort {

namespace {

// A record as SQLite inserts it (node_id: the column's default, the one chain).
const std::string& insertSql() {
  static const std::string kSql = [] {
    std::string columns = "seq";
    std::string values = "$1";
    int index = 2;
    for (auto c : kHashedColumns) {
      columns += ", " + std::string(c);
      values += ", $" + std::to_string(index++);
    }
    for (const char* c : {"previous_hash", "record_hash", "subject_key"}) {
      columns += ", " + std::string(c);
      values += ", $" + std::to_string(index++);
    }
    return "INSERT INTO exchange_log (" + columns + ") VALUES (" + values + ")";
  }();
  return kSql;
}

}  // namespace

ExchangeLogOptions exchangeLogOptionsFor(const GatewayConfig& config) {
  ExchangeLogOptions options;
  options.database = config.storage_path;
  options.signing_key = config.keyDirectory() / "log-signing.key";
  options.checkpoint_every_records = config.checkpoint_every_records;
  options.checkpoint_every = config.checkpoint_every;
  options.busy_timeout = config.storage_busy_timeout;
  return options;
}

// The writes a record's change may do, on the writer's connection inside its transaction:
// the registries' as every store writes them, the outbox's and the transaction id's check
// as this one does.
class SqliteTransaction final : public SqlStoreTransaction {
 public:
  using SqlStoreTransaction::SqlStoreTransaction;
  // One writer per file: the log itself says whether the id is taken.
  bool exchangeLogged(const std::string& transaction_id) override {
    return chain_tables::logged(session_, transaction_id);
  }
  void enqueueDelivery(const OutboxEntry& e, std::string_view body) override {
    outbox_tables::enqueue(session_, e, body, sqlite_outbox::kNode, std::chrono::milliseconds(0));
  }
};

namespace {
// The database holds bodies waiting for delivery (ADR 0011): owner only, like the keys.
// Created 0600 before SQLite opens it (SQLite gives its -wal and -shm the database's
// mode); a file an older version created readable for others is narrowed.
void keepPrivate(const std::filesystem::path& database) {
  const int fd = ::open(database.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + database.string());
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ignored;  // -wal and -shm may not exist
    std::filesystem::permissions(database.string() + suffix,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ignored);
  }
}
}  // namespace

struct SqliteExchangeLog::Writer {
  explicit Writer(const ExchangeLogOptions& options) {
    keepPrivate(options.database);
    session = SqliteSession::open(options.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                  static_cast<int>(options.busy_timeout.count()));
    try {
      // WAL with synchronous=FULL: a committed transaction survives power loss.
      // 4 KiB pages (applies when the database is created). 64 KiB pages made bulk appends
      // 20 % faster, but the real path writes small batches with a savepoint per change,
      // and every page a savepoint touches is copied whole into its journal, and every
      // reader re-reads whole pages after each commit: e2e at C=32 went from 1,518 to
      // 2,726 exchanges/s and 0.70 to 0.45 CPU ms/exchange with 4 KiB (docs/performance.md).
      session->execute("PRAGMA page_size=4096");
      session->execute("PRAGMA journal_mode=WAL");
      session->execute("PRAGMA synchronous=FULL");
      // The subject index takes inserts at random places; with SQLite's 2 MB default cache
      // every batch re-reads and re-writes index pages (measured: 27k appends/s). 64 MB of
      // cache and mmap reads keep the hot pages in memory.
      session->execute("PRAGMA cache_size=-65536");
      session->execute("PRAGMA mmap_size=268435456");
      session->execute("PRAGMA temp_store=MEMORY");
      // Bodies waiting for delivery live in this file (outbox_bodies, ADR 0011): a removed
      // one is overwritten with zeros, not just unlinked from its b-tree (SqliteSession::open
      // said so already).
      // Copying the WAL back into the database is done by the checkpointer thread, not in
      // the writer's commits.
      session->execute("PRAGMA wal_autocheckpoint=0");
      sqlite_schema::prepare(*session);
      if (options.max_database_pages > 0) {
        session->execute("PRAGMA max_page_count=" + std::to_string(options.max_database_pages));
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot prepare " + options.database.string() + ": " + e.what());
    }
  }

  std::unique_ptr<SqliteSession> session;
  bool synchronous_full = true;  // as opened
};

namespace {

// The privacy officer's and the push path's reads, each on a connection of its own so they
// never wait for the writer (WAL readers see the last commit).
std::unique_ptr<sql::Session> openReader(const ExchangeLogOptions& options) {
  auto session = SqliteSession::open(options.database, static_cast<int>(options.busy_timeout.count()));
  // Every commit empties a connection's own page cache; read through mmap, the pages a
  // search needs again after each commit (the console writes one per page) come from the
  // OS's cache without a copy.
  session->execute("PRAGMA mmap_size=268435456");
  return session;
}

}  // namespace

SqliteExchangeLog::SqliteExchangeLog(ExchangeLogOptions options, const TimeSource& clock)
    : GroupCommitLog({options.checkpoint_every_records, options.checkpoint_every, options.max_batch, options.max_queue},
                     LogSigner::loadOrCreate(options.signing_key), std::string(kSqliteChain), clock),
      options_(std::move(options)),
      writer_(std::make_unique<Writer>(options_)) {
  // One chain: its sequence orders its records.
  useReaders(openReader(options_), openReader(options_), "seq");
  registry_marker_ = std::make_unique<RegistryChangeMarker>(options_.database);
  // At start the tables are the truth; from then on the change rows say what others did.
  registrySnapshot().replace(registry_tables::load(*writer_->session));
  startWriter(chain_tables::tail(*writer_->session, kSqliteChain),
              chain_tables::lastCheckpointSequence(*writer_->session, kSqliteChain));
  checkpointer_ = std::thread([this] { runWalCheckpoints(); });
}

SqliteExchangeLog::~SqliteExchangeLog() {
  stopWriter();
  checkpointer_pace_.close();
  checkpointer_.join();
  // Fold what it can of the WAL into the database; PASSIVE, so a lock held by another
  // process never delays shutdown.
  sqlite3_wal_checkpoint_v2(writer_->session->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

void SqliteExchangeLog::runWalCheckpoints() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(options_.database.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    logError("wal-checkpointer-unavailable", {{"error", sqlite3_errmsg(db)}});
    sqlite3_close(db);
    return;
  }
  // A connection that has read nothing has not opened the WAL, and a checkpoint on it
  // returns SQLITE_OK having copied nothing: read the schema once first. (Without this
  // the WAL was only copied back when the writer closed, and grew for as long as the
  // gateway ran; ExchangeLogTest.TheWalIsCopiedBackWhileTheGatewayRuns.)
  // That first read may meet another connection of this process setting the file up (the
  // pseudonym keys' table, a registry load): it waits for it, unlike the checkpoints below.
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
    logError("wal-checkpointer-unavailable", {{"error", sqlite3_errmsg(db)}});
    sqlite3_close(db);
    return;
  }
  sqlite3_busy_timeout(db, 0);
  // A removed body's page images stay in the WAL until it is truncated. Once the writer
  // has been idle for a moment (or at the latest every few seconds under load) the WAL is
  // copied back and truncated; after that no file holds a removed body. TRUNCATE takes
  // the write lock only if it is free (no busy handler here): a busy writer is never
  // stalled, the truncation just waits for the next round. Paced by the system's time,
  // not the store's: the WAL is about the disk, which a test's simulated time does not move.
  constexpr auto kIdleFor = std::chrono::milliseconds(100);
  constexpr auto kAtLeastEvery = std::chrono::seconds(5);
  auto last_truncate = systemTime().monotonicNow();
  std::vector<char> nothing;
  while (checkpointer_pace_.popBatch(nothing, 1, std::chrono::milliseconds(bodies_removed_.load() ? 50 : 200))) {
    const auto now = systemTime().monotonicNow();
    const auto last_commit = std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_commit_ns_.load(std::memory_order_relaxed)));
    if (bodies_removed_.load() && (now - last_commit >= kIdleFor || now - last_truncate >= kAtLeastEvery)) {
      bodies_removed_.store(false);
      if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) == SQLITE_OK) {
        last_truncate = now;
      } else {
        bodies_removed_.store(true);  // busy: next round
      }
    } else {
      // PASSIVE never waits for the writer; whatever it cannot copy now, it copies next time.
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
  }
  sqlite3_close(db);
}

sql::Session& SqliteExchangeLog::writerSession() { return *writer_->session; }

void SqliteExchangeLog::writerStarted() {
  // Notes every removed body, so the checkpointer knows the WAL may hold one.
  sqlite3_update_hook(
      writer_->session->get(),
      [](void* flag, int operation, const char*, const char* table, sqlite3_int64) {
        if (operation == SQLITE_DELETE && std::string_view(table) == "outbox_bodies") {
          static_cast<std::atomic<bool>*>(flag)->store(true, std::memory_order_relaxed);
        }
      },
      &bodies_removed_);
}

void SqliteExchangeLog::beginGroup(bool sync) {
  // A group of deferred bookkeeping only commits to the WAL; the next synced commit syncs
  // it too (WAL frames are synced in order).
  if (sync != writer_->synchronous_full) {
    writer_->session->execute(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    writer_->synchronous_full = sync;
  }
  writer_->session->execute("BEGIN IMMEDIATE");
}

std::unique_ptr<SqlStoreTransaction> SqliteExchangeLog::transactionFor(RegistryChanges& changes) {
  return std::make_unique<SqliteTransaction>(*writer_->session, changes, timeSource());
}

// Another process (the audit CLI recording a query) may have appended since our last
// commit; under the write lock BEGIN IMMEDIATE took, the database's tail is the truth.
ChainTail SqliteExchangeLog::lockChain() { return chain_tables::tail(*writer_->session, kSqliteChain); }

void SqliteExchangeLog::insertRecords(const std::vector<ChainedRecord>& records) {
  std::vector<sql::Value> values;
  for (const ChainedRecord& r : records) {
    values.clear();
    values.emplace_back(static_cast<std::int64_t>(r.sequence));
    for (const std::string& column : *r.columns) values.emplace_back(std::string_view(column));
    values.emplace_back(sql::Blob{r.previous_hash});
    values.emplace_back(sql::Blob{r.record_hash});
    values.emplace_back(subjectKey((*r.columns)[kSubjectRefColumn]));
    writer_->session->run(insertSql(), values);
  }
}

void SqliteExchangeLog::registriesCommitted(std::uint64_t version) { registry_marker_->announce(version); }

void SqliteExchangeLog::groupEnded() {
  last_commit_ns_.store(systemTime().monotonicNow().time_since_epoch().count(), std::memory_order_relaxed);
}

PurgeBatchResult SqliteExchangeLog::purgeBatch(const PurgeBatchRequest& request) {
  return purgeThroughWriter(request, [](sql::Session& session) -> std::unique_ptr<PurgeTarget> {
    return std::make_unique<chain_tables::PurgeWindow>(session, std::string(kSqliteChain));
  });
}

}  // namespace ketenpoort
