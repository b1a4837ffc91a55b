#include "gateway/store/chain_tables.hpp"

#include <algorithm>

namespace ketenpoort::chain_tables {

namespace {

std::string recordColumns() {
  std::string sql = "seq";
  for (auto column : kHashedColumns) sql += ", " + std::string(column);
  return sql + ", previous_hash, record_hash";
}

constexpr int kPrevious = 1 + static_cast<int>(kHashedColumns.size());

SignedHead headFrom(const sql::Rows& r, int row, int first) {
  return SignedHead{static_cast<std::uint64_t>(r.integer(row, first)), std::string(r.text(row, first + 1)),
                    std::string(r.text(row, first + 2)), std::string(r.text(row, first + 3)),
                    std::string(r.text(row, first + 4))};
}

ChainCheckpoint checkpointFrom(const sql::Rows& r, int row) {
  return {static_cast<std::uint64_t>(r.integer(row, 0)), std::string(r.text(row, 1)), std::string(r.text(row, 2)),
          std::string(r.text(row, 3)), std::string(r.text(row, 4))};
}

PurgeRecord purgeFrom(const sql::Rows& r, int row) {
  return {static_cast<std::uint64_t>(r.integer(row, 0)),
          std::string(r.text(row, 1)),
          std::string(r.text(row, 2)),
          std::string(r.text(row, 3)),
          static_cast<std::uint64_t>(r.integer(row, 4)),
          std::string(r.text(row, 5)),
          std::string(r.text(row, 6)),
          std::string(r.text(row, 7))};
}

constexpr std::string_view kCheckpointColumns = "seq, record_hash, created_utc, previous_digest, signature";
constexpr std::string_view kPurgeColumns =
    "id, created_utc, as_of, reason, removed, runs_digest, previous_digest, signature";

}  // namespace

ChainTail tail(sql::Session& s, std::string_view chain) {
  const sql::Rows r =
      s.run("SELECT seq, record_hash FROM exchange_log WHERE node_id = $1 ORDER BY seq DESC LIMIT 1", {chain});
  ChainTail found;
  if (!r.empty()) found = {static_cast<std::uint64_t>(r.integer(0, 0)), std::string(r.text(0, 1))};
  return found;
}

bool logged(sql::Session& s, const std::string& transaction_id) {
  return !s.run("SELECT 1 FROM exchange_log WHERE transaction_id = $1 LIMIT 1", {std::string_view(transaction_id)})
              .empty();
}

std::optional<ChainCheckpoint> lastCheckpoint(sql::Session& s, std::string_view chain) {
  static const std::string kSql = "SELECT " + std::string(kCheckpointColumns) +
                                  " FROM log_checkpoints WHERE node_id = $1 ORDER BY seq DESC LIMIT 1";
  const sql::Rows r = s.run(kSql, {chain});
  if (r.empty()) return std::nullopt;
  return checkpointFrom(r, 0);
}

std::uint64_t lastCheckpointSequence(sql::Session& s, std::string_view chain) {
  return static_cast<std::uint64_t>(
      s.run("SELECT COALESCE(MAX(seq), 0) FROM log_checkpoints WHERE node_id = $1", {chain}).integer(0, 0));
}

void insertCheckpoint(sql::Session& s, std::string_view chain, const ChainCheckpoint& c) {
  s.run(
      "INSERT INTO log_checkpoints (node_id, seq, record_hash, created_utc, previous_digest, signature) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
      {chain, static_cast<std::int64_t>(c.sequence), sql::Blob{c.hash}, std::string_view(c.created),
       sql::Blob{c.previous_digest}, sql::Blob{c.signature}});
}

void writeHead(sql::Session& s, std::string_view chain, const SignedHead& head) {
  s.run(
      "INSERT INTO log_heads (node_id, seq, record_hash, created_utc, checkpoint_digest, signature) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (node_id) DO UPDATE SET seq = excluded.seq, "
      "record_hash = excluded.record_hash, created_utc = excluded.created_utc, "
      "checkpoint_digest = excluded.checkpoint_digest, signature = excluded.signature",
      {chain, static_cast<std::int64_t>(head.sequence), sql::Blob{head.record_hash}, std::string_view(head.created_utc),
       sql::Blob{head.checkpoint_digest}, sql::Blob{head.signature}});
}

std::map<std::string, SignedHead> heads(sql::Session& s) {
  const sql::Rows r =
      s.run("SELECT node_id, seq, record_hash, created_utc, checkpoint_digest, signature FROM log_heads");
  std::map<std::string, SignedHead> found;
  for (int i = 0; i < r.size(); ++i) found[std::string(r.text(i, 0))] = headFrom(r, i, 1);
  return found;
}

ChainContents contents(sql::Session& s, std::string_view chain) {
  ChainContents c;
  static const std::string kCheckpoints =
      "SELECT " + std::string(kCheckpointColumns) + " FROM log_checkpoints WHERE node_id = $1 ORDER BY seq";
  const sql::Rows checkpoints = s.run(kCheckpoints, {chain});
  for (int i = 0; i < checkpoints.size(); ++i) c.checkpoints.push_back(checkpointFrom(checkpoints, i));
  c.last_sequence = static_cast<std::uint64_t>(
      s.run("SELECT COALESCE(MAX(seq), 0) FROM exchange_log WHERE node_id = $1", {chain}).integer(0, 0));
  const sql::Rows head = s.run(
      "SELECT seq, record_hash, created_utc, checkpoint_digest, signature FROM log_heads WHERE node_id = $1", {chain});
  if (!head.empty()) c.head = headFrom(head, 0, 0);
  static const std::string kPurges =
      "SELECT " + std::string(kPurgeColumns) + " FROM log_purges WHERE node_id = $1 ORDER BY id";
  const sql::Rows purges = s.run(kPurges, {chain});
  std::vector<PurgeRecord> records;
  records.reserve(static_cast<std::size_t>(purges.size()));
  for (int i = 0; i < purges.size(); ++i) records.push_back(purgeFrom(purges, i));
  const sql::Rows stored =
      s.run("SELECT purge_id, first_seq, last_seq, previous_hash, last_hash FROM log_purged_runs WHERE node_id = $1",
            {chain});
  std::vector<std::pair<std::uint64_t, PurgedRun>> runs;
  runs.reserve(static_cast<std::size_t>(stored.size()));
  for (int i = 0; i < stored.size(); ++i) {
    runs.emplace_back(
        static_cast<std::uint64_t>(stored.integer(i, 0)),
        PurgedRun{static_cast<std::uint64_t>(stored.integer(i, 1)), static_cast<std::uint64_t>(stored.integer(i, 2)),
                  std::string(stored.text(i, 3)), std::string(stored.text(i, 4))});
  }
  c.purges = assemblePurges(std::move(records), runs);
  return c;
}

std::size_t purgeCount(sql::Session& s) {
  return static_cast<std::size_t>(s.run("SELECT COUNT(*) FROM log_purges").integer(0, 0));
}

namespace {

class SqlChainReader final : public ChainReader {
 public:
  SqlChainReader(std::unique_ptr<sql::Session> session, std::string chain)
      : session_(std::move(session)), chain_(std::move(chain)) {}

  void records(std::uint64_t first, std::uint64_t last,
               const std::function<bool(const ChainRecordRow&)>& row) override {
    static const std::string kSql = "SELECT " + recordColumns() +
                                    ", subject_key FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3 "
                                    "ORDER BY seq";
    // In slices, so a long chain is not held in memory at once.
    constexpr std::uint64_t kSlice = 10'000;
    for (std::uint64_t from = first; from <= last; from += kSlice) {
      const std::uint64_t to = std::min(last, from + kSlice - 1);
      const sql::Rows r = session_->run(
          kSql, {std::string_view(chain_), static_cast<std::int64_t>(from), static_cast<std::int64_t>(to)});
      ChainRecordRow record;
      for (int i = 0; i < r.size(); ++i) {
        record.sequence = static_cast<std::uint64_t>(r.integer(i, 0));
        for (std::size_t c = 0; c < record.columns.size(); ++c) record.columns[c] = r.text(i, static_cast<int>(c) + 1);
        record.previous_hash = r.text(i, kPrevious);
        record.record_hash = r.text(i, kPrevious + 1);
        record.subject_key = r.integer(i, kPrevious + 2);
        if (!row(record)) return;
      }
      if (to == last) return;  // `from += kSlice` would pass the end of the range
    }
  }

 private:
  std::unique_ptr<sql::Session> session_;
  std::string chain_;
};

}  // namespace

std::unique_ptr<ChainReader> recordReader(std::unique_ptr<sql::Session> session, std::string chain) {
  return std::make_unique<SqlChainReader>(std::move(session), std::move(chain));
}

std::uint64_t PurgeWindow::lastSequence() {
  return static_cast<std::uint64_t>(
      s_.run("SELECT COALESCE(MAX(seq), 0) FROM exchange_log WHERE node_id = $1", {std::string_view(chain_)})
          .integer(0, 0));
}

std::vector<PurgeCandidate> PurgeWindow::window(std::uint64_t after, std::uint64_t last) {
  static const std::string kSql =
      "SELECT " + recordColumns() + " FROM exchange_log WHERE node_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq";
  const sql::Rows r =
      s_.run(kSql, {std::string_view(chain_), static_cast<std::int64_t>(after), static_cast<std::int64_t>(last)});
  std::vector<PurgeCandidate> records(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    PurgeCandidate& c = records[static_cast<std::size_t>(i)];
    c.sequence = static_cast<std::uint64_t>(r.integer(i, 0));
    for (std::size_t col = 0; col < c.columns.size(); ++col)
      c.columns[col] = std::string(r.text(i, static_cast<int>(col) + 1));
    c.previous_hash = std::string(r.text(i, kPrevious));
    c.record_hash = std::string(r.text(i, kPrevious + 1));
  }
  return records;
}

std::optional<PurgeRecord> PurgeWindow::lastPurge() {
  static const std::string kSql =
      "SELECT " + std::string(kPurgeColumns) + " FROM log_purges WHERE node_id = $1 ORDER BY id DESC LIMIT 1";
  const sql::Rows r = s_.run(kSql, {std::string_view(chain_)});
  if (r.empty()) return std::nullopt;
  return purgeFrom(r, 0);
}

void PurgeWindow::removeRun(const PurgedRun& run, std::uint64_t purge_id) {
  const auto first = static_cast<std::int64_t>(run.first);
  const auto last = static_cast<std::int64_t>(run.last);
  forgetRun(run);
  // Nothing that names these exchanges stays (issue 25): the outbox's rows go with them
  // once finished (their bodies went when they finished; one still waiting goes when it
  // finishes, sql_outbox), and the registries forget which exchange taught them a
  // koppeling or a link between a BSN and a V-nummer.
  for (const char* sql : {"DELETE FROM outbox WHERE state NOT IN ('pending', 'postbus') AND transaction_id IN "
                          "(SELECT transaction_id FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3)",
                          "UPDATE koppeling SET source_transaction = '' WHERE source_transaction IN "
                          "(SELECT transaction_id FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3)",
                          "UPDATE identity_links SET source_transaction = '' WHERE source_transaction IN "
                          "(SELECT transaction_id FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3)",
                          "DELETE FROM exchange_log WHERE node_id = $1 AND seq BETWEEN $2 AND $3"}) {
    s_.run(sql, {std::string_view(chain_), first, last});
  }
  s_.run(
      "INSERT INTO log_purged_runs (node_id, first_seq, last_seq, previous_hash, last_hash, purge_id) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {std::string_view(chain_), first, last, sql::Blob{run.previous_hash}, sql::Blob{run.last_hash},
       static_cast<std::int64_t>(purge_id)});
}

void PurgeWindow::insertPurge(const PurgeRecord& p) {
  s_.run(
      "INSERT INTO log_purges (node_id, id, created_utc, as_of, reason, removed, runs_digest, previous_digest, "
      "signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {std::string_view(chain_), static_cast<std::int64_t>(p.id), std::string_view(p.created_utc),
       std::string_view(p.as_of), std::string_view(p.reason), static_cast<std::int64_t>(p.removed),
       sql::Blob{p.runs_digest}, sql::Blob{p.previous_digest}, sql::Blob{p.signature}});
}

}  // namespace ketenpoort::chain_tables
