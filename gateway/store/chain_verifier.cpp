#include "gateway/store/chain_verifier.hpp"

#include <algorithm>
#include <future>
#include <thread>

#include <boost/json.hpp>

#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"

namespace ketenpoort {

namespace {

// The outcome of checking records [first, last] on their own.
struct RangeResult {
  std::uint64_t checked = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t purged = 0;
  std::optional<std::uint64_t> bad;
  std::string problem;
  std::string read_error;         // the range could not be read: no verdict, not tampering
  std::string first_previous;     // the chain's hash before the range, as its first record or run states it
  std::string last_hash;          // the chain's hash at its last record
  std::string witnessed_hash;     // the recomputed hash at the witness's sequence, if in range
  bool witnessed_purged = false;  // the witness's record was removed by a purge
};

using Runs = std::vector<PurgedRun>;

// The purged run that holds `sequence`, if any.
const PurgedRun* runHolding(const Runs& runs, std::uint64_t sequence) {
  auto it = std::upper_bound(runs.begin(), runs.end(), sequence,
                             [](std::uint64_t s, const PurgedRun& r) { return s < r.first; });
  if (it == runs.begin()) return nullptr;
  --it;
  return sequence <= it->last ? &*it : nullptr;
}

// Checks contiguity, links, hashes, lookup keys and checkpoints inside one range, and
// follows the chain across purged runs. The range never starts or ends inside a run. The
// first record's link to the range before it is checked by the caller.
// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
RangeResult verifyRange(const OpenChainReader& open, std::uint64_t first, std::uint64_t last,
                        const std::vector<ChainCheckpoint>& checkpoints, const Runs& runs,
                        std::uint64_t witnessed_sequence) {
  RangeResult r;
  const auto fail = [&r](std::uint64_t sequence, std::string problem) {
    r.bad = sequence;
    r.problem = std::move(problem);
    return r;
  };
  auto next_checkpoint = std::lower_bound(checkpoints.begin(), checkpoints.end(), first,
                                          [](const ChainCheckpoint& c, std::uint64_t s) { return c.sequence < s; });
  auto next_run = std::lower_bound(runs.begin(), runs.end(), first,
                                   [](const PurgedRun& run, std::uint64_t s) { return run.first < s; });
  std::uint64_t expected = first;
  std::string previous;
  bool started = false;
  // A record or run states the chain's hash before it: the range's first, or its
  // predecessor's.
  const auto follows = [&](std::string_view stated) {
    if (!started) {
      started = true;
      r.first_previous = std::string(stated);
      return true;
    }
    return stated == previous;
  };
  // Runs a purge removed, starting where the chain has got to.
  const auto skipPurged = [&]() {
    for (; next_run != runs.end() && next_run->first == expected && expected <= last; ++next_run) {
      const PurgedRun& run = *next_run;
      if (!follows(run.previous_hash)) {
        fail(run.first, "the records purged from " + std::to_string(run.first) + " to " + std::to_string(run.last) +
                            " do not follow record " + std::to_string(run.first - 1));
        return false;
      }
      // Checkpoints inside the run vouched for records that are gone; one at its end
      // must name the run's last hash.
      for (; next_checkpoint != checkpoints.end() && next_checkpoint->sequence <= run.last; ++next_checkpoint) {
        if (next_checkpoint->sequence == run.last && next_checkpoint->hash != run.last_hash) {
          fail(run.last,
               "the records purged up to " + std::to_string(run.last) + " differ from their signed checkpoint");
          return false;
        }
      }
      if (witnessed_sequence >= run.first && witnessed_sequence <= run.last) {
        if (witnessed_sequence == run.last) {
          r.witnessed_hash = run.last_hash;
        } else {
          r.witnessed_purged = true;
        }
      }
      previous = run.last_hash;
      expected = run.last + 1;
      r.purged += run.length();
    }
    return true;
  };
  // The row's verdict; false stops the reading at the first bad record.
  const auto check = [&](const ChainRecordRow& row) {
    if (!skipPurged()) return false;
    const std::uint64_t sequence = row.sequence;
    if (sequence != expected) {
      fail(expected, sequence > expected ? "record " + std::to_string(expected) + " is missing"
                                         : "record " + std::to_string(sequence) + " is out of order");
      return false;
    }
    if (!follows(row.previous_hash)) {
      fail(sequence, "record " + std::to_string(sequence) + " does not follow its predecessor");
      return false;
    }
    std::string hash = chainHash(std::string(row.previous_hash), sequence, row.columns);
    if (row.record_hash != hash) {
      fail(sequence, "record " + std::to_string(sequence) + " was altered");
      return false;
    }
    // The lookup key is outside the hash; a wrong one would hide the record from an
    // access report, so it must agree with the (hashed) reference.
    if (row.subject_key != subjectKey(row.columns[kSubjectRefColumn])) {
      fail(sequence,
           "record " + std::to_string(sequence) + " has a lookup key that does not match its subject reference");
      return false;
    }
    for (; next_checkpoint != checkpoints.end() && next_checkpoint->sequence == sequence; ++next_checkpoint) {
      if (next_checkpoint->hash != hash) {
        fail(sequence, "record " + std::to_string(sequence) + " differs from its signed checkpoint");
        return false;
      }
      ++r.checkpoints;
    }
    if (sequence == witnessed_sequence) r.witnessed_hash = hash;
    previous = std::move(hash);
    ++expected;
    ++r.checked;
    return true;
  };
  try {
    open()->records(first, last, check);
  } catch (const std::exception& e) {
    r.read_error = std::string("cannot read the log: ") + e.what();
    return r;
  }
  if (r.bad) return r;
  if (!skipPurged()) return r;
  if (expected <= last) return fail(expected, "record " + std::to_string(expected) + " is missing");
  r.last_hash = previous;
  return r;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
LogVerification verifyChain(const ChainContents& contents, const OpenChainReader& open,
                            const std::string& public_key_pem, const std::optional<SignedHead>& witness,
                            std::uint64_t min_records_per_range) {
  LogVerification result;
  const auto bad = [&result](std::uint64_t sequence, std::string problem) {
    result.intact = false;
    result.first_bad_sequence = sequence;
    result.problem = std::move(problem);
    return result;
  };
  const std::vector<ChainCheckpoint>& checkpoints = contents.checkpoints;
  const std::uint64_t last_sequence = contents.last_sequence;
  result.head = contents.head;
  // A witness is a head signed by the same key; a forged one proves nothing.
  if (witness && !verifyLogSignature(public_key_pem, headMessage(*witness), witness->signature)) {
    result.problem = "the witnessed head is not signed by the gateway's key";
    return result;
  }
  // Checkpoints first: their signatures must hold before they can vouch for anything, and
  // each must name the one before it, so none can be taken out of the middle.
  std::string previous_digest(32, '\0');
  for (const auto& c : checkpoints) {
    if (!verifyLogSignature(public_key_pem, c.message(), c.signature)) {
      return bad(c.sequence,
                 "checkpoint at record " + std::to_string(c.sequence) + " is not signed by the gateway's key");
    }
    if (c.previous_digest != previous_digest) {
      return bad(c.sequence, "the checkpoint before the one at record " + std::to_string(c.sequence) +
                                 " is missing or was changed");
    }
    previous_digest = checkpointDigest(c.message(), c.signature);
  }
  if (result.head && !verifyLogSignature(public_key_pem, headMessage(*result.head), result.head->signature)) {
    return bad(result.head->sequence, "the log's head is not signed by the gateway's key");
  }
  // Then the purge records: signed, chained, each matching its runs. The last record is
  // never purged: a run reaching it means records were removed from the tail.
  const PurgeCheck purges = checkPurges(contents.purges, public_key_pem);
  if (!purges.problem.empty()) return bad(0, purges.problem);
  const Runs& runs = purges.runs;
  if (!runs.empty() && runs.back().last >= last_sequence) {
    return bad(last_sequence, "a purge record claims the log's last record: records were cut off");
  }
  result.purges_checked = contents.purges.purges.size();
  const std::uint64_t witnessed = witness ? witness->sequence : 0;

  // The chain is checked in ranges in parallel, one per core, then stitched together. A
  // range begins at a record or at the start of a purged run, never inside one.
  const std::uint64_t parts = std::clamp<std::uint64_t>(
      std::min<std::uint64_t>(std::thread::hardware_concurrency(), 8), 1,
      std::max<std::uint64_t>(1, last_sequence / std::max<std::uint64_t>(1, min_records_per_range)));
  std::vector<std::uint64_t> starts;
  for (std::uint64_t p = 0; p < parts && last_sequence > 0; ++p) {
    std::uint64_t start = 1 + last_sequence * p / parts;
    if (const PurgedRun* run = runHolding(runs, start)) start = run->first;
    if (starts.empty() || start > starts.back()) starts.push_back(start);
  }
  std::vector<std::future<RangeResult>> ranges;
  for (std::size_t p = 0; p < starts.size(); ++p) {
    const std::uint64_t last = p + 1 < starts.size() ? starts[p + 1] - 1 : last_sequence;
    ranges.push_back(std::async(std::launch::async, verifyRange, std::cref(open), starts[p], last,
                                std::cref(checkpoints), std::cref(runs), witnessed));
  }
  std::string previous(32, '\0');  // the chain's anchor
  std::string witnessed_hash;
  bool witnessed_purged = false;
  for (std::size_t p = 0; p < ranges.size(); ++p) {
    RangeResult range = ranges[p].get();
    if (!range.read_error.empty()) {
      result.problem = range.read_error;
      return result;
    }
    const std::uint64_t first = starts[p];
    if (!range.bad && range.first_previous != previous) {
      range.bad = first;
      range.problem = "record " + std::to_string(first) + " does not follow its predecessor";
    }
    result.records_checked += range.checked;
    if (range.bad) return bad(*range.bad, range.problem);
    result.checkpoints_checked += range.checkpoints;
    result.records_purged += range.purged;
    if (!range.witnessed_hash.empty()) witnessed_hash = range.witnessed_hash;
    witnessed_purged = witnessed_purged || range.witnessed_purged;
    previous = range.last_hash;
  }
  // A signed checkpoint beyond the last record: the log was cut off.
  if (!checkpoints.empty() && checkpoints.back().sequence > last_sequence) {
    return bad(last_sequence + 1, "records from " + std::to_string(last_sequence + 1) +
                                      " on are missing: a signed checkpoint vouches for record " +
                                      std::to_string(checkpoints.back().sequence));
  }
  // The head vouches for the last record and the last checkpoint.
  if (result.head) {
    const SignedHead& head = *result.head;
    if (head.sequence > last_sequence) {
      return bad(last_sequence + 1, "records from " + std::to_string(last_sequence + 1) +
                                        " on are missing: the signed head vouches for record " +
                                        std::to_string(head.sequence));
    }
    if (head.sequence < last_sequence) {
      return bad(head.sequence + 1, "records after " + std::to_string(head.sequence) +
                                        " are not covered by the signed head: they were added "
                                        "without the gateway's key");
    }
    if (head.checkpoint_digest != previous_digest) {
      return bad(checkpoints.empty() ? head.sequence : checkpoints.back().sequence,
                 "the signed head names a later checkpoint than the log holds: checkpoints were cut off");
    }
    if (head.record_hash != previous) {
      return bad(last_sequence, "the last record is not the one the signed head vouches for");
    }
  } else if (last_sequence > 0) {
    return bad(last_sequence, "the log has records but no signed head: the head was removed");
  } else if (contents.head_required) {
    return bad(0,
               "the chain has no signed head, though one is signed when it begins: its records and head were "
               "removed");
  } else if (!contents.traces.empty()) {
    std::string held;
    for (const auto& t : contents.traces) held += (held.empty() ? "" : ", ") + t;
    return bad(0, "the log has no records and no signed head, yet the store holds " + held + ": the log was emptied");
  }
  if (witness && witness->sequence > last_sequence) {
    return bad(last_sequence + 1, "the log ends at record " + std::to_string(last_sequence) +
                                      " but a witness holds a signed head at record " +
                                      std::to_string(witness->sequence) + ": it was cut back");
  }
  // A witnessed record a purge removed later is vouched for by that signed purge.
  if (witness && witness->sequence > 0 && !witnessed_purged && witnessed_hash != witness->record_hash) {
    return bad(witness->sequence, "record " + std::to_string(witness->sequence) +
                                      " is not the one the witnessed head vouches for: the log was rewritten");
  }
  result.intact = true;
  return result;
}

std::string signedHeadJson(const SignedHead& head, const std::string& node) {
  boost::json::object o{{"sequence", head.sequence},
                        {"record_hash", toHex(head.record_hash)},
                        {"created_utc", head.created_utc},
                        {"checkpoint_digest", toHex(head.checkpoint_digest)},
                        {"signature", toHex(head.signature)}};
  if (!node.empty()) o["node"] = node;
  return boost::json::serialize(o);
}

namespace {
std::optional<std::string> fromHex(std::string_view hex, std::size_t bytes) {
  if (hex.size() != bytes * 2) return std::nullopt;
  return ketenpoort::fromHex(hex);
}
}  // namespace

std::optional<WitnessedHead> parseWitnessedHeadJson(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto text = [&](const char* key) -> std::optional<std::string_view> {
    const auto* found = o.if_contains(key);
    if (!found || !found->is_string()) return std::nullopt;
    return std::string_view(found->as_string());
  };
  const auto* sequence = o.if_contains("sequence");
  const auto hash = text("record_hash");
  const auto created = text("created_utc");
  const auto digest = text("checkpoint_digest");
  const auto signature = text("signature");
  if (!sequence || !sequence->is_number() || !hash || !created || !digest || !signature) return std::nullopt;
  boost::system::error_code number_ec;
  const auto seq = sequence->to_number<std::uint64_t>(number_ec);
  const auto hash_bytes = fromHex(*hash, 32);
  const auto digest_bytes = fromHex(*digest, 32);
  const auto signature_bytes = fromHex(*signature, 64);
  if (number_ec || !hash_bytes || !digest_bytes || !signature_bytes) return std::nullopt;
  const auto node = text("node");
  return WitnessedHead{SignedHead{seq, *hash_bytes, std::string(*created), *digest_bytes, *signature_bytes},
                       node ? std::string(*node) : std::string()};
}

std::optional<SignedHead> parseSignedHeadJson(std::string_view json) {
  auto witnessed = parseWitnessedHeadJson(json);
  if (!witnessed) return std::nullopt;
  return std::move(witnessed->head);
}

}  // namespace ketenpoort
