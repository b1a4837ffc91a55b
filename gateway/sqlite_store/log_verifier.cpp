#include "gateway/sqlite_store/log_verifier.hpp"

#include <vector>

#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::SqliteError;
using store_internal::Statement;

namespace {

// A read-only connection used by one thread only, so without SQLite's per-call locking
// (which cost a fifth of verification time).
class ReadConnection {
 public:
  explicit ReadConnection(const std::filesystem::path& database) {
    if (sqlite3_open_v2(database.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      error_ = "cannot open " + database.string() + ": " + (db_ ? sqlite3_errmsg(db_) : "");
    }
    // Readers opening together may find the WAL index being set up by another; wait.
    sqlite3_busy_timeout(db_, 10'000);
  }
  ~ReadConnection() { sqlite3_close(db_); }
  ReadConnection(const ReadConnection&) = delete;
  ReadConnection& operator=(const ReadConnection&) = delete;
  sqlite3* get() const { return error_.empty() ? db_ : nullptr; }
  const std::string& error() const { return error_; }

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

class SqliteChainReader final : public ChainReader {
 public:
  explicit SqliteChainReader(const std::filesystem::path& database) : connection_(database) {}

  void records(std::uint64_t first, std::uint64_t last,
               const std::function<bool(const ChainRecordRow&)>& row) override {
    if (!connection_.get()) throw std::runtime_error(connection_.error());
    std::string sql = "SELECT seq";
    for (auto column : kHashedColumns) sql += ", " + std::string(column);
    sql += ", previous_hash, record_hash, subject_key FROM exchange_log WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq";
    constexpr int kPrevious = 1 + static_cast<int>(kHashedColumns.size());
    try {
      Statement rows(connection_.get(), sql);
      rows.bindInt(1, static_cast<std::int64_t>(first));
      rows.bindInt(2, static_cast<std::int64_t>(last));
      ChainRecordRow record;
      while (rows.step()) {
        record.sequence = static_cast<std::uint64_t>(rows.integer(0));
        for (std::size_t c = 0; c < record.columns.size(); ++c) record.columns[c] = rows.text(static_cast<int>(c) + 1);
        record.previous_hash = rows.blob(kPrevious);
        record.record_hash = rows.blob(kPrevious + 1);
        record.subject_key = rows.integer(kPrevious + 2);
        if (!row(record)) return;
      }
    } catch (const SqliteError& e) {
      throw std::runtime_error(e.what());
    }
  }

 private:
  ReadConnection connection_;
};

std::optional<SignedHead> readHead(sqlite3* db) {
  Statement q(db, "SELECT seq, record_hash, created_utc, checkpoint_digest, signature FROM log_head "
                  "WHERE id = 1");
  if (!q.step()) return std::nullopt;
  return SignedHead{static_cast<std::uint64_t>(q.integer(0)), std::string(q.blob(1)),
                    std::string(q.text(2)), std::string(q.blob(3)), std::string(q.blob(4))};
}

// The purge records and their runs.
ChainPurges readPurges(sqlite3* db) {
  std::vector<PurgeRecord> records;
  Statement purges(db, "SELECT id, created_utc, as_of, reason, removed, runs_digest, previous_digest, signature "
                       "FROM log_purges ORDER BY id");
  while (purges.step()) {
    records.push_back({static_cast<std::uint64_t>(purges.integer(0)), std::string(purges.text(1)),
                       std::string(purges.text(2)), std::string(purges.text(3)),
                       static_cast<std::uint64_t>(purges.integer(4)), std::string(purges.blob(5)),
                       std::string(purges.blob(6)), std::string(purges.blob(7))});
  }
  std::vector<std::pair<std::uint64_t, PurgedRun>> runs;
  Statement stored(db, "SELECT purge_id, first_seq, last_seq, previous_hash, last_hash FROM log_purged_runs");
  while (stored.step()) {
    runs.emplace_back(static_cast<std::uint64_t>(stored.integer(0)),
                      PurgedRun{static_cast<std::uint64_t>(stored.integer(1)),
                                static_cast<std::uint64_t>(stored.integer(2)), std::string(stored.blob(3)),
                                std::string(stored.blob(4))});
  }
  return assemblePurges(std::move(records), runs);
}

}  // namespace

std::optional<SignedHead> readSignedHead(const std::filesystem::path& database) {
  ReadConnection connection(database);
  if (!connection.get()) throw std::runtime_error(connection.error());
  try {
    return readHead(connection.get());
  } catch (const SqliteError& e) {
    throw std::runtime_error(std::string("cannot read the log's head: ") + e.what());
  }
}

namespace {

// What verification needs besides the records, read in one transaction: one snapshot of
// checkpoints, head and purges, however many commits land meanwhile.
// What only a store whose log once held records holds (see ChainContents::traces); a
// table an older file lacks counts as empty.
std::vector<std::string> tracesOfUse(sqlite3* db) {
  std::vector<std::string> traces;
  const auto count = [db](const char* sql) -> std::int64_t {
    sqlite3_stmt* q = nullptr;
    std::int64_t n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return n;
  };
  const std::pair<const char*, const char*> checks[] = {
      {"SELECT COALESCE(MAX(version), 0) FROM registry_version", "a registry version above 0"},
      {"SELECT (SELECT COUNT(*) FROM koppeling) + (SELECT COUNT(*) FROM consents) + "
       "(SELECT COUNT(*) FROM agreements) + (SELECT COUNT(*) FROM identity_links)",
       "registry rows (each written with a record)"},
      {"SELECT COUNT(*) FROM pseudonym_keys WHERE destroyed_utc IS NOT NULL AND destroyed_utc <> ''",
       "destroyed pseudonym keys (destroyed by a purge)"},
      {"SELECT COUNT(*) FROM outbox", "outbox entries (each queued with a record)"},
  };
  for (const auto& [sql, words] : checks) {
    if (count(sql) > 0) traces.emplace_back(words);
  }
  return traces;
}

std::optional<ChainContents> readContents(sqlite3* db, std::string& problem) {
  ChainContents contents;
  try {
    store_internal::run(db, "BEGIN");
    Statement cp(db, "SELECT seq, record_hash, created_utc, previous_digest, signature FROM log_checkpoints "
                     "ORDER BY seq");
    while (cp.step()) {
      contents.checkpoints.push_back({static_cast<std::uint64_t>(cp.integer(0)), std::string(cp.blob(1)),
                                      std::string(cp.text(2)), std::string(cp.blob(3)), std::string(cp.blob(4))});
    }
    Statement max(db, "SELECT COALESCE(MAX(seq), 0) FROM exchange_log");
    max.step();
    contents.last_sequence = static_cast<std::uint64_t>(max.integer(0));
    contents.head = readHead(db);
    contents.purges = readPurges(db);
    if (contents.last_sequence == 0 && !contents.head) contents.traces = tracesOfUse(db);
    cp.reset();
    max.reset();
    store_internal::run(db, "COMMIT");
    return contents;
  } catch (const SqliteError& e) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    problem = std::string("cannot read the log: ") + e.what();
    return std::nullopt;
  }
}

std::size_t purgeCount(sqlite3* db) {
  Statement q(db, "SELECT COUNT(*) FROM log_purges");
  q.step();
  return static_cast<std::size_t>(q.integer(0));
}

}  // namespace

LogVerification verifyExchangeLog(const std::filesystem::path& database, const std::string& public_key_pem,
                                  const std::optional<SignedHead>& witness, std::uint64_t min_records_per_range) {
  ReadConnection connection(database);
  LogVerification result;
  if (!connection.get()) {
    result.problem = connection.error();
    return result;
  }
  // The records are read after the snapshot, on connections of their own; a purge that
  // commits in between removes records the snapshot's purge records do not cover yet.
  // When verification fails and a purge has committed since, it is done again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string problem;
    const auto contents = readContents(connection.get(), problem);
    if (!contents) {
      result = LogVerification{};
      result.problem = problem;
      return result;
    }
    result = verifyChain(
        *contents, [&database] { return std::make_unique<SqliteChainReader>(database); }, public_key_pem, witness,
        min_records_per_range);
    try {
      if (result.intact || purgeCount(connection.get()) == contents->purges.purges.size()) return result;
    } catch (const SqliteError&) {
      return result;
    }
  }
  return result;
}

}  // namespace ketenpoort
