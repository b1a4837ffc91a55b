#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "gateway/store/chain_verifier.hpp"

namespace ketenpoort {

// The SQLite log's one chain, verified as verifyChain (gateway/store/chain_verifier.hpp)
// describes.
LogVerification verifyExchangeLog(const std::filesystem::path& database, const std::string& public_key_pem,
                                  const std::optional<SignedHead>& witness = std::nullopt,
                                  std::uint64_t min_records_per_range = 50'000);

// The log's current signed head, read from the database (nullopt when it has none).
// Throws std::runtime_error when the database cannot be read.
std::optional<SignedHead> readSignedHead(const std::filesystem::path& database);

}  // namespace ketenpoort
