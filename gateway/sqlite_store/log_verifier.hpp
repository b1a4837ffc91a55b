#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "gateway/store/record_codec.hpp"

namespace ketenpoort {

struct LogVerification {
  bool intact = false;
  std::uint64_t records_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  std::optional<SignedHead> head;  // the log's signed head, when it has one
  std::optional<std::uint64_t> first_bad_sequence;
  std::string problem;  // what is wrong, when !intact
};

// Walks the whole chain: sequence numbers 1..n without gaps, each record's previous hash
// is its predecessor's hash, each hash matches the record's columns. Checkpoints are
// signed by `public_key_pem`, each names the digest of the one before it (so none can be
// taken out) and a hash that is in the chain; one beyond the last record means records
// were cut off. The signed head (rewritten with every commit) must name exactly the last
// record and the last checkpoint: records cut off after it, or the head taken away, show.
//
// With a `witness` (a head printed by `ketenpoort log head` earlier and kept elsewhere),
// the log must also contain that head's record with that hash, and not end before it: a
// log rolled back to an older consistent state (from a backup, or cut together with its
// head, which needs the key to re-sign) fails here.
//
// The chain is checked in ranges of at least `min_records_per_range`, one thread each (up
// to one per core), and the ranges are then linked up.
LogVerification verifyExchangeLog(const std::filesystem::path& database,
                                  const std::string& public_key_pem,
                                  const std::optional<SignedHead>& witness = std::nullopt,
                                  std::uint64_t min_records_per_range = 50'000);

// The log's current signed head, read from the database (nullopt when it has none).
// Throws std::runtime_error when the database cannot be read.
std::optional<SignedHead> readSignedHead(const std::filesystem::path& database);

// A head as JSON (hex fields), for a witness to keep; and back (nullopt if malformed).
std::string signedHeadJson(const SignedHead& head);
std::optional<SignedHead> parseSignedHeadJson(std::string_view json);

}  // namespace ketenpoort
