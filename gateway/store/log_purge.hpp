#pragma once

// Removing records whose retention has ended, in a way `log verify` can still check
// (ADR 0018). A purge removes runs of consecutive records of a chain and keeps, per run,
// the two hashes the chain needs to be followed across it: the hash before the run and
// the hash at its end. A signed purge record states which runs it removed, how many
// records, why, and against which date; purge records are chained to each other like
// checkpoints, so none can be taken out. A record that is gone without a purge record
// covering it, or a purge record that does not match its runs, fails verification.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/store/store_transaction.hpp"

#include "gateway/store/record_codec.hpp"

#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort {

// Consecutive records [first, last] of one chain that a purge removed.
struct PurgedRun {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::string previous_hash;  // the chain's hash before `first` (32 bytes; zeros for record 1)
  std::string last_hash;      // the hash of record `last` (32 bytes)

  std::uint64_t length() const { return last - first + 1; }
};

// The signed statement of one purge batch.
struct PurgeRecord {
  std::uint64_t id = 0;  // 1, 2, … per chain, in the order written
  std::string created_utc;
  std::string as_of;            // the date retention was judged against (YYYY-MM-DD)
  std::string reason;           // e.g. "retention-ended"
  std::uint64_t removed = 0;    // records removed: the runs' lengths added up
  std::string runs_digest;      // purgedRunsDigest of its runs (32 bytes)
  std::string previous_digest;  // purgeDigest of the purge before (32 zero bytes for the first)
  std::string signature;        // Ed25519 over message(), 64 bytes

  std::string message() const;
};

// SHA-256 over the runs, in order (length-prefixed fields).
std::string purgedRunsDigest(const std::vector<PurgedRun>& runs);
// What identifies a purge record to the next one: SHA-256 over its message and signature.
std::string purgeDigest(const PurgeRecord& purge);

// The purge records of a chain (in id order) and each one's runs, as stored.
struct ChainPurges {
  std::vector<PurgeRecord> purges;
  std::vector<std::vector<PurgedRun>> runs;  // runs[i] belongs to purges[i]
  std::uint64_t unclaimed_runs = 0;          // runs naming a purge record that is not there
};

// Puts stored runs (each with the id of the purge record it names) with their purge
// records (in id order); a run naming a purge record that is not there is counted.
ChainPurges assemblePurges(std::vector<PurgeRecord> purges,
                           const std::vector<std::pair<std::uint64_t, PurgedRun>>& runs);

// Checks the purge records of a chain: signed by the chain's key, chained to each other,
// each matching its runs (digest and count); runs that do not overlap. The runs of every
// purge, merged in sequence order, or what is wrong.
struct PurgeCheck {
  std::vector<PurgedRun> runs;
  std::uint64_t removed = 0;
  std::string problem;  // empty: the purge records hold
};
PurgeCheck checkPurges(const ChainPurges& stored, const std::string& public_key_pem);

// One stored record as a purge reads it.
struct PurgeCandidate {
  std::uint64_t sequence = 0;
  std::array<std::string, kHashedColumns.size()> columns;
  std::string previous_hash;
  std::string record_hash;
};

// Which of the records of a window (every record of it, in sequence order) a purge as of
// `as_of` removes: those whose retention_until is before that date, grouped into runs of
// consecutive sequence numbers. Every record of the window is hashed again and its link
// to the record before it checked, so a purge never signs for a record that was altered:
// nullopt and `problem` when the chain does not hold.
struct PurgePlan {
  std::vector<PurgedRun> runs;
  std::uint64_t removed = 0;
  std::string problem;
  std::optional<std::uint64_t> bad_sequence;
};
PurgePlan planPurge(const std::vector<PurgeCandidate>& window, std::string_view as_of);

// A purge batch's request and outcome, for every store.
struct PurgeBatchRequest {
  std::string as_of;  // YYYY-MM-DD: records retained until before this day go
  Reason reason = Reason::kRetentionEnded;
  std::uint64_t after_sequence = 0;  // the window starts after this record
  std::uint64_t window = 128;        // record numbers looked at per batch
};
struct PurgeBatchResult {
  bool ok = false;
  std::uint64_t removed = 0;
  std::uint64_t next_after = 0;  // where the next batch starts
  bool done = false;             // the window reached the log's tail
  std::string error;
  // GatewayStore::purgeExpired, once the records are done:
  RegistryHistoryRemoved registry_history_removed;
  std::vector<int> pseudonym_keys_destroyed;  // the years whose keys the purge destroyed
};

// What a purge batch needs of a store, inside the store's write transaction, for one chain.
class PurgeTarget {
 public:
  virtual ~PurgeTarget() = default;
  virtual std::uint64_t lastSequence() = 0;  // 0: no records
  // The chain's records in (after, last], in sequence order.
  virtual std::vector<PurgeCandidate> window(std::uint64_t after, std::uint64_t last) = 0;
  virtual std::optional<PurgeRecord> lastPurge() = 0;
  // Deletes the run's records and keeps the run under purge `purge_id`.
  virtual void removeRun(const PurgedRun& run, std::uint64_t purge_id) = 0;
  virtual void insertPurge(const PurgeRecord& purge) = 0;
};

class LogSigner;
// One purge batch, the same for every store: reads the window after
// `request.after_sequence` (never the chain's last record), plans it, and when records are
// due removes them and writes the signed purge record. Throws std::runtime_error, having
// removed nothing it did not sign for, when a record of the window does not verify (the
// caller rolls back). `ok` is left to the caller.
PurgeBatchResult purgeOneWindow(PurgeTarget& target, const PurgeBatchRequest& request, const LogSigner& signer,
                                const std::string& now_utc);

}  // namespace ketenpoort
