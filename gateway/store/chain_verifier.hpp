#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gateway/store/log_purge.hpp"
#include "gateway/store/record_codec.hpp"

namespace ketenpoort {

struct LogVerification {
  bool intact = false;
  std::uint64_t records_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  std::uint64_t records_purged = 0;  // removed by signed purge records (ADR 0018)
  std::uint64_t purges_checked = 0;
  std::optional<SignedHead> head;  // the chain's signed head, when it has one
  std::optional<std::uint64_t> first_bad_sequence;
  std::string problem;  // what is wrong, when !intact
};

// One signed checkpoint of a chain, as stored.
struct ChainCheckpoint {
  std::uint64_t sequence = 0;
  std::string hash;
  std::string created;
  std::string previous_digest;
  std::string signature;

  std::string message() const { return checkpointMessage(sequence, hash, created, previous_digest); }
};

// What a store holds of one hash chain besides its records (SQLite: the log; PostgreSQL:
// one node's chain).
struct ChainContents {
  std::vector<ChainCheckpoint> checkpoints;  // in sequence order
  std::uint64_t last_sequence = 0;           // the highest record sequence stored
  std::optional<SignedHead> head;
  ChainPurges purges;  // what purges removed, and their signed records
  // What the store holds that only a log that once held records leaves behind (registry
  // rows and version, destroyed pseudonym keys, outbox rows, claimed transaction ids), in
  // words: a chain with no records and no head beside any of it was emptied (issue 25).
  std::vector<std::string> traces;
  // The chain always has a signed head (a PostgreSQL node signs an empty one when it
  // registers): none at all means it was removed.
  bool head_required = false;
};

// One stored record as the verifier reads it: the hashed column texts and what the store
// keeps beside them.
struct ChainRecordRow {
  std::uint64_t sequence = 0;
  std::array<std::string_view, kHashedColumns.size()> columns;
  std::string_view previous_hash;
  std::string_view record_hash;
  std::int64_t subject_key = 0;
};

// Reads the records of one chain. The verifier opens one per range and reads ranges on
// threads of their own.
class ChainReader {
 public:
  virtual ~ChainReader() = default;
  // Calls `row` for every stored record with a sequence in [first, last], in sequence
  // order, until it returns false. Throws std::runtime_error when the store cannot be read.
  virtual void records(std::uint64_t first, std::uint64_t last,
                       const std::function<bool(const ChainRecordRow&)>& row) = 0;
};
using OpenChainReader = std::function<std::unique_ptr<ChainReader>()>;

// Walks a whole chain: sequence numbers 1..n without gaps, each record's previous hash
// is its predecessor's hash, each hash matches the record's columns. Where a signed purge
// record removed a run of records, the chain is followed across the run by its two hashes
// (the one before it must be its predecessor's, the one at its end its successor's
// previous hash); a record missing without a purge covering it, or a purge record that is
// not signed, not chained or not matching its runs, fails. No purge covers the last record. Checkpoints are
// signed by `public_key_pem`, each names the digest of the one before it (so none can be
// taken out) and a hash that is in the chain; one beyond the last record means records
// were cut off. The signed head (rewritten with every commit) must name exactly the last
// record and the last checkpoint: records cut off after it, or the head taken away, show.
//
// With a `witness` (a head printed by `ketenpoort log head` earlier and kept elsewhere),
// the chain must also contain that head's record with that hash, and not end before it: a
// log rolled back to an older consistent state (from a backup, or cut together with its
// head, which needs the key to re-sign) fails here.
//
// The chain is checked in ranges of at least `min_records_per_range`, one thread each (up
// to one per core), and the ranges are then linked up.
LogVerification verifyChain(const ChainContents& contents, const OpenChainReader& open,
                            const std::string& public_key_pem, const std::optional<SignedHead>& witness,
                            std::uint64_t min_records_per_range);

// Verification reads the records after a snapshot of the chains' contents; a purge that
// commits in between removes records that snapshot's purge records do not cover yet. So
// when `verify` (which returns whether the chains were intact and how many purge records
// its snapshot held) finds them not intact and `purgesNow` counts more, it is done again,
// three times at most. `purgesNow` failing ends the retries.
template <typename Verify>
auto verifyWhilePurgesLand(Verify verify, const std::function<std::size_t()>& purgesNow) {
  auto [result, purges] = verify();
  for (int attempt = 1; attempt < 3 && !result.intact; ++attempt) {
    try {
      if (purgesNow() == purges) break;
    } catch (const std::exception&) {
      break;
    }
    std::tie(result, purges) = verify();
  }
  return result;
}

// A head as JSON (hex fields), for a witness to keep; and back (nullopt if malformed).
// `node` names the chain of a store with several (PostgreSQL), "" for SQLite's one chain.
std::string signedHeadJson(const SignedHead& head, const std::string& node = "");
struct WitnessedHead {
  SignedHead head;
  std::string node;  // "" when the witness names none
};
std::optional<WitnessedHead> parseWitnessedHeadJson(std::string_view json);
std::optional<SignedHead> parseSignedHeadJson(std::string_view json);

}  // namespace ketenpoort
