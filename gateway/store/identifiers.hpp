#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Sorts by time, so
// transaction ids in the log are in roughly the order they were made.
std::string newUuidV7();

// A W3C trace-context trace id: 32 lower-case hex digits, not all zero.
std::string newTraceId();

// A UUIDv8 (RFC 9562) derived from `name` by SHA-256: the same name always gives the same
// id. Makes a derived exchange idempotent (one ELIP signal per person and month).
std::string uuidFromName(std::string_view name);

bool isUuid(std::string_view text);

// A UUID in its one spelling: RFC 9562 compares UUIDs case-insensitively, so "ABC…" and
// "abc…" are the same transaction. Lower case, or nullopt when `text` is not the 8-4-4-4-12
// hex form. Every id from outside is normalised with this before any lookup or storage.
std::optional<std::string> canonicalUuid(std::string_view text);

// Lower-case hex of bytes.
std::string toHex(const unsigned char* data, std::size_t size);
// The bytes toHex spelled (two lower-case hex digits each); nullopt for anything else.
std::optional<std::string> fromHex(std::string_view hex);
inline std::string toHex(const std::string& bytes) {
  return toHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string sha256Hex(std::string_view data);

}  // namespace ketenpoort
