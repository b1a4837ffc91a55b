#include "gateway/pg_store/pg_log_verifier.hpp"

#include "gateway/pg_store/pg_session.hpp"

#include <algorithm>

#include "gateway/pg_store/pg_connection.hpp"

namespace ketenpoort {

namespace {

class PgChainReader final : public ChainReader {
 public:
  PgChainReader(const std::string& dsn, std::string node_id) : connection_(dsn), node_id_(std::move(node_id)) {}

  void records(std::uint64_t first, std::uint64_t last,
               const std::function<bool(const ChainRecordRow&)>& row) override {
    static const std::string kSql = [] {
      std::string sql = "SELECT seq";
      for (auto column : kHashedColumns) sql += ", " + std::string(column);
      return sql + ", previous_hash, record_hash, subject_key FROM exchange_log "
                   "WHERE node_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq";
    }();
    constexpr int kPrevious = 1 + static_cast<int>(kHashedColumns.size());
    // In slices, so a long chain is not held in memory at once.
    constexpr std::uint64_t kSlice = 10'000;
    for (std::uint64_t from = first; from <= last; from += kSlice) {
      const std::uint64_t to = std::min(last, from + kSlice - 1);
      const pg::Result r = connection_.run(
          kSql, {std::string_view(node_id_), static_cast<std::int64_t>(from), static_cast<std::int64_t>(to)});
      ChainRecordRow record;
      for (int i = 0; i < r.rows(); ++i) {
        record.sequence = static_cast<std::uint64_t>(r.integer(i, 0));
        for (std::size_t c = 0; c < record.columns.size(); ++c) record.columns[c] = r.text(i, static_cast<int>(c) + 1);
        const std::string previous = r.bytes(i, kPrevious);
        const std::string hash = r.bytes(i, kPrevious + 1);
        record.previous_hash = previous;
        record.record_hash = hash;
        record.subject_key = r.integer(i, kPrevious + 2);
        if (!row(record)) return;
      }
    }
  }

 private:
  pg::Connection connection_;
  std::string node_id_;
};

std::map<std::string, SignedHead> readHeads(pg::Connection& c) {
  std::map<std::string, SignedHead> heads;
  const pg::Result r =
      c.run("SELECT node_id, seq, record_hash, created_utc, checkpoint_digest, signature FROM log_heads");
  for (int i = 0; i < r.rows(); ++i) {
    heads[std::string(r.text(i, 0))] = SignedHead{static_cast<std::uint64_t>(r.integer(i, 1)), r.bytes(i, 2),
                                                  std::string(r.text(i, 3)), r.bytes(i, 4), r.bytes(i, 5)};
  }
  return heads;
}

ChainContents readChain(pg::Connection& c, const std::string& node_id) {
  ChainContents contents;
  const pg::Result checkpoints = c.run(
      "SELECT seq, record_hash, created_utc, previous_digest, signature FROM log_checkpoints WHERE node_id = $1 "
      "ORDER BY seq",
      {std::string_view(node_id)});
  for (int i = 0; i < checkpoints.rows(); ++i) {
    contents.checkpoints.push_back({static_cast<std::uint64_t>(checkpoints.integer(i, 0)), checkpoints.bytes(i, 1),
                                    std::string(checkpoints.text(i, 2)), checkpoints.bytes(i, 3),
                                    checkpoints.bytes(i, 4)});
  }
  contents.last_sequence = static_cast<std::uint64_t>(
      c.run("SELECT COALESCE(MAX(seq), 0) FROM exchange_log WHERE node_id = $1", {std::string_view(node_id)})
          .integer(0, 0));
  const auto heads = readHeads(c);
  if (const auto found = heads.find(node_id); found != heads.end()) contents.head = found->second;
  // A node signs an empty head when it registers: a registered node without one lost it.
  contents.head_required = true;
  std::vector<PurgeRecord> purges;
  const pg::Result stored_purges = c.run(
      "SELECT id, created_utc, as_of, reason, removed, runs_digest, previous_digest, signature FROM log_purges "
      "WHERE node_id = $1 ORDER BY id",
      {std::string_view(node_id)});
  purges.reserve(static_cast<std::size_t>(stored_purges.rows()));
  for (int i = 0; i < stored_purges.rows(); ++i) {
    purges.push_back({static_cast<std::uint64_t>(stored_purges.integer(i, 0)), std::string(stored_purges.text(i, 1)),
                      std::string(stored_purges.text(i, 2)), std::string(stored_purges.text(i, 3)),
                      static_cast<std::uint64_t>(stored_purges.integer(i, 4)), stored_purges.bytes(i, 5),
                      stored_purges.bytes(i, 6), stored_purges.bytes(i, 7)});
  }
  std::vector<std::pair<std::uint64_t, PurgedRun>> runs;
  const pg::Result stored_runs = c.run(
      "SELECT purge_id, first_seq, last_seq, previous_hash, last_hash FROM log_purged_runs WHERE node_id = $1",
      {std::string_view(node_id)});
  runs.reserve(static_cast<std::size_t>(stored_runs.rows()));
  for (int i = 0; i < stored_runs.rows(); ++i) {
    runs.emplace_back(static_cast<std::uint64_t>(stored_runs.integer(i, 0)),
                      PurgedRun{static_cast<std::uint64_t>(stored_runs.integer(i, 1)),
                                static_cast<std::uint64_t>(stored_runs.integer(i, 2)), stored_runs.bytes(i, 3),
                                stored_runs.bytes(i, 4)});
  }
  contents.purges = assemblePurges(std::move(purges), runs);
  return contents;
}

}  // namespace

std::map<std::string, SignedHead> readPgSignedHeads(const std::string& dsn) {
  try {
    pg::Connection c(dsn);
    return readHeads(c);
  } catch (const pg::PgError& e) {
    throw std::runtime_error(std::string("cannot read the log's heads: ") + e.what());
  }
}

namespace {

// One verification against one snapshot of the chains' contents; `purges` is how many
// purge records that snapshot held.
PgLogVerification verifyOnce(const std::string& dsn, const std::map<std::string, std::string>& keys,
                             const std::vector<WitnessedHead>& witnesses, std::uint64_t min_records_per_range,
                             std::size_t& purges) {
  PgLogVerification result;
  std::map<std::string, std::string> registered;  // node id → the key the database names
  std::map<std::string, ChainContents> chains;
  try {
    pg::Connection c(dsn);
    // One snapshot for the contents of every chain (the records are read after, and a
    // running node's newer records beyond its head are then outside what is checked).
    PgSession session(c);
    sql::inTransaction(
        session, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        [&] {
          const pg::Result nodes = c.run("SELECT node_id, public_key_pem FROM log_nodes ORDER BY node_id");
          for (int i = 0; i < nodes.rows(); ++i) registered[std::string(nodes.text(i, 0))] = nodes.text(i, 1);
          for (const auto& [node, key] : registered) {
            chains[node] = readChain(c, node);
            purges += chains[node].purges.purges.size();
          }
        });
  } catch (const std::exception& e) {
    result.problem = std::string("cannot read the log: ") + e.what();
    return result;
  }
  for (const auto& witness : witnesses) {
    if (!registered.contains(witness.node)) {
      result.problem = "a witness holds a signed head of node \"" + witness.node +
                       "\", which the database no longer knows: its chain was removed";
      return result;
    }
  }
  for (const auto& [node, key] : keys) {
    if (!registered.contains(node)) {
      result.problem = "a key was given for node \"" + node + "\", which the database does not know: its chain was removed";
      return result;
    }
  }
  result.intact = true;
  for (const auto& [node, database_key] : registered) {
    NodeVerification n;
    n.node_id = node;
    const auto given = keys.find(node);
    n.key_from_database = given == keys.end();
    const std::string& key = n.key_from_database ? database_key : given->second;
    std::optional<SignedHead> witness;
    for (const auto& w : witnesses) {
      if (w.node == node) witness = w.head;
    }
    const ChainContents& contents = chains[node];
    n.verification = verifyChain(
        contents, [&dsn, node = node] { return std::make_unique<PgChainReader>(dsn, node); }, key, witness,
        min_records_per_range);
    if (n.verification.intact && !n.key_from_database && given->second != database_key) {
      n.verification.intact = false;
      n.verification.problem = "the database registers another key for this node than the one given";
    }
    if (!n.verification.intact) result.intact = false;
    result.nodes.push_back(std::move(n));
  }
  return result;
}

}  // namespace

PgLogVerification verifyPgLog(const std::string& dsn, const std::map<std::string, std::string>& keys,
                              const std::vector<WitnessedHead>& witnesses, std::uint64_t min_records_per_range) {
  // The records are read after the snapshot; a purge committed in between removes records
  // the snapshot's purge records do not cover yet. When verification fails and a purge
  // has committed since, it is done again.
  PgLogVerification result;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::size_t purges = 0;
    result = verifyOnce(dsn, keys, witnesses, min_records_per_range, purges);
    if (result.intact) return result;
    try {
      pg::Connection c(dsn);
      if (static_cast<std::size_t>(c.run("SELECT COUNT(*) FROM log_purges").integer(0, 0)) == purges) return result;
    } catch (const std::exception&) {
      return result;
    }
  }
  return result;
}

}  // namespace ketenpoort
