#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/store/exchange_record.hpp"

namespace ketenpoort {

// The columns of exchange_log that the hash chain covers, in hashing order. The writer
// and `log verify` both hash exactly these column texts, so a change to any of them in
// the database breaks the chain. The last two were added later and are hashed only when
// there is something to hash, so records written before them keep their hashes:
// foreign_span_id when it or delivered_into is not empty, delivered_into when it is not
// (a record hashes zero, one or two of them, so neither's text can pass for the other's).
inline constexpr std::array<std::string_view, 20> kHashedColumns{
    "transaction_id",  "trace_id",      "time_utc",   "flow",           "sender_oin",      "recipient_oin",
    "purpose",         "legal_basis",   "consent_id", "agreement_id",   "subject_ref",     "fields_delivered",
    "fields_withheld", "outcome",       "reason",     "payload_sha256", "retention_until", "request_sha256",
    "foreign_span_id", "delivered_into"};
inline constexpr std::size_t kForeignSpanColumn = 18;
static_assert(kHashedColumns[kForeignSpanColumn] == "foreign_span_id");
inline constexpr std::size_t kDeliveredIntoColumn = 19;
static_assert(kHashedColumns[kDeliveredIntoColumn] == "delivered_into");

inline constexpr std::size_t kSubjectRefColumn = 10;
static_assert(kHashedColumns[kSubjectRefColumn] == "subject_ref");

// The indexed lookup key of a subject reference: its first 64 bits as an integer. A small
// index key keeps inserts fast (the full 64-character reference made durable appends 40 %
// slower); lookups match this key and then the full reference. 0 for "no subject".
std::int64_t subjectKey(std::string_view subject_ref_hex);

// The column texts of a record, in kHashedColumns order.
std::array<std::string, kHashedColumns.size()> columnTexts(const ExchangeRecord& record);
// The record those column texts describe (what every store reads back). Throws
// std::runtime_error when a list column is not the JSON columnTexts writes.
ExchangeRecord recordFromColumnTexts(const std::array<std::string_view, kHashedColumns.size()>& columns);

// SHA-256 over a domain tag, the previous record's hash, the sequence number and every
// hashed column (length-prefixed, so no two records share an encoding). 32 raw bytes.
std::string chainHash(const std::string& previous_hash, std::uint64_t sequence,
                      const std::array<std::string_view, kHashedColumns.size()>& columns);

// What a checkpoint signs: its place in the chain of records and in the chain of
// checkpoints (the digest of the checkpoint before it; 32 zero bytes for the first).
std::string checkpointMessage(std::uint64_t sequence, const std::string& record_hash, const std::string& created_utc,
                              const std::string& previous_digest);
// What identifies a checkpoint to the next one: SHA-256 over its message and signature.
std::string checkpointDigest(const std::string& message, const std::string& signature);

// The log's signed head: the last record and the last checkpoint, signed with every
// commit, so records cut off after it are missed and a head cannot be moved back
// without the signing key. Printed by `ketenpoort log head` for a witness to keep.
struct SignedHead {
  std::uint64_t sequence = 0;
  std::string record_hash;  // 32 bytes
  std::string created_utc;
  std::string checkpoint_digest;  // of the last checkpoint; 32 zero bytes when none
  std::string signature;          // Ed25519, 64 bytes
};
std::string headMessage(const SignedHead& head);

}  // namespace ketenpoort
