#pragma once
// Reading what the console's pages hold, for the tests and the benchmark. Plain string
// search rather than std::regex: GCC 12 warns inside <regex> at -O1 with the sanitizers
// (maybe-uninitialized in std::function), and the build treats warnings as errors.
#include <string>
#include <string_view>

namespace ketenpoort::testing {

// The run of characters from `allowed` that follows the first `prefix` in `page`; empty
// when the prefix is not there.
inline std::string textAfter(std::string_view page, std::string_view prefix, std::string_view allowed) {
  const auto at = page.find(prefix);
  if (at == std::string_view::npos) return "";
  const auto rest = page.substr(at + prefix.size());
  return std::string(rest.substr(0, rest.find_first_not_of(allowed)));
}

// The form token a console page carries (`expiry.hex-mac`).
inline std::string consoleFormToken(std::string_view page) {
  return textAfter(page, R"(name="formulier" value=")", "0123456789.abcdef");
}

// The stable code a console problem page shows.
// The problem's code on a console page, or in the problem+json the listener answers before
// any page runs (a cross-site refusal, an unknown path).
inline std::string consoleReason(std::string_view page) {
  if (page.starts_with("{")) return textAfter(page, "\"code\":\"", "abcdefghijklmnopqrstuvwxyz-");
  return textAfter(page, "Code: <code>", "abcdefghijklmnopqrstuvwxyz-");
}

}  // namespace ketenpoort::testing
