#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ketenpoort {

// Decodes "a=1&b=x%20y" into {a: "1", b: "x y"} ('+' is a space). nullopt on a malformed
// escape or a parameter given twice: such a request is refused rather than guessed at.
std::optional<std::map<std::string, std::string>> parseQueryString(std::string_view query);

}  // namespace ketenpoort

namespace ketenpoort {

// A record number as a caller writes it in a cursor (`after`, `voor`) or a path: decimal
// digits only, no sign or spaces, and at most 2^63 - 1, the largest number a store can
// bind (SQLite and PostgreSQL integers are signed 64-bit). nullopt otherwise: a larger
// number would wrap to a negative one and turn a "next page" into the first.
std::optional<std::uint64_t> parseRecordNumber(std::string_view text);

}  // namespace ketenpoort
