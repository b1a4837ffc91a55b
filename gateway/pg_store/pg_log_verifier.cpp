#include "gateway/pg_store/pg_log_verifier.hpp"

#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/chain_tables.hpp"

namespace ketenpoort {

std::map<std::string, SignedHead> readPgSignedHeads(const std::string& dsn) {
  try {
    return chain_tables::heads(*PgSession::open(dsn));
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
    sql::inTransaction(session, session.beginRead(), [&] {
      const sql::Rows nodes = c.run("SELECT node_id, public_key_pem FROM log_nodes ORDER BY node_id");
      for (int i = 0; i < nodes.size(); ++i) registered[std::string(nodes.text(i, 0))] = nodes.text(i, 1);
      for (const auto& [node, key] : registered) {
        chains[node] = chain_tables::contents(session, node);
        // A node signs an empty head when it registers: a registered node without one lost it.
        chains[node].head_required = true;
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
      result.problem =
          "a key was given for node \"" + node + "\", which the database does not know: its chain was removed";
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
        contents, [&dsn, node = node] { return chain_tables::recordReader(PgSession::open(dsn), node); }, key, witness,
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
  return verifyWhilePurgesLand(
      [&] {
        std::size_t purges = 0;
        PgLogVerification result = verifyOnce(dsn, keys, witnesses, min_records_per_range, purges);
        return std::pair{std::move(result), purges};
      },
      [&dsn] { return chain_tables::purgeCount(*PgSession::open(dsn)); });
}

}  // namespace ketenpoort
