#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/store/chain_verifier.hpp"

namespace ketenpoort {

struct NodeVerification {
  std::string node_id;
  LogVerification verification;
  bool key_from_database = false;  // no key was given for it: the one the database registers
};

struct PgLogVerification {
  bool intact = false;
  std::vector<NodeVerification> nodes;  // every node the database knows, in id order
  std::string problem;                  // what is wrong beyond one node's chain, when !intact
};

// Verifies every node's chain in a PostgreSQL store (each as verifyChain describes), with
// the public keys in `keys` (node id → PEM, kept apart from the database: a verifier that
// takes the keys from the database it checks trusts that database). A node without a key
// there is checked with the key the database registers for it, and the answer says so; a
// node whose registered key differs from the one given fails. Each witness must name a
// node the database still has and be contained in that node's chain.
PgLogVerification verifyPgLog(const std::string& dsn, const std::map<std::string, std::string>& keys,
                              const std::vector<WitnessedHead>& witnesses,
                              std::uint64_t min_records_per_range = 50'000);

// Every node's current signed head (node id → head). Throws std::runtime_error when the
// database cannot be read.
std::map<std::string, SignedHead> readPgSignedHeads(const std::string& dsn);

}  // namespace ketenpoort
