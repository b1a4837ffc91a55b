// What a stranger puts in a URL or a header: the query string, transaction ids, trace
// context. Invariants: one spelling per UUID (lower case, stable, case-insensitive), a
// trace id is always 32 lower-case hex digits, decoded query keys are never empty.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/api/query_string.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/store/identifiers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ketenpoort;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto query = parseQueryString(text)) {
    for (const auto& [key, value] : *query) {
      if (key.empty()) __builtin_trap();
    }
  }

  if (const auto id = canonicalUuid(text)) {
    if (!isUuid(*id) || canonicalUuid(*id) != id) __builtin_trap();
    std::string upper(text);
    for (char& c : upper) {
      if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    }
    if (canonicalUuid(upper) != id) __builtin_trap();
    for (char c : *id) {
      if (c >= 'A' && c <= 'F') __builtin_trap();
    }
  }

  const TraceContext context = traceContextFrom(std::string(text));
  const std::string& trace = context.trace_id;
  if (trace.size() != 32) __builtin_trap();
  for (char c : trace) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) __builtin_trap();
  }
  // A parent span only from a well-formed traceparent, and then exactly its parent id.
  const std::string& span = context.foreign_span_id;
  if (!span.empty() &&
      (span.size() != 16 || text.size() != 55 || text.substr(36, 16) != span || text.substr(3, 32) != trace)) {
    __builtin_trap();
  }
  return 0;
}
