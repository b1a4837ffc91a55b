#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ketenpoort {

struct LogVerification {
  bool intact = false;
  std::uint64_t records_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  std::optional<std::uint64_t> first_bad_sequence;
  std::string problem;  // what is wrong, when !intact
};

// Walks the whole chain: sequence numbers 1..n without gaps, each record's previous hash
// is its predecessor's hash, each hash matches the record's columns, each checkpoint is
// signed by `public_key_pem` and names a hash that is in the chain. A checkpoint beyond
// the last record means records were cut off.
//
// The chain is checked in ranges of at least `min_records_per_range`, one thread each (up
// to one per core), and the ranges are then linked up.
LogVerification verifyExchangeLog(const std::filesystem::path& database,
                                  const std::string& public_key_pem,
                                  std::uint64_t min_records_per_range = 50'000);

}  // namespace ketenpoort
