#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

struct FetchedDocument {
  unsigned status = 0;  // 0: no answer (see error)
  std::string body;     // fetchDocument: when status is 200; getOverHttp: whatever came
  std::string error;    // empty when answered 200; a transport problem or "http-<status>" otherwise
  bool ok() const { return error.empty(); }
};

// GET `url`, plain HTTP or HTTPS (the server verified against `ca_bundle`; no client
// certificate: what is fetched is public, like a CA's CRL), connect to last byte within
// `timeout`, a body of at most `max_bytes`. No redirects followed. Blocking, on its own
// io_context: never on a network thread.
FetchedDocument fetchDocument(const WebUrl& url, const std::filesystem::path& ca_bundle,
                              std::chrono::milliseconds timeout, std::size_t max_bytes);

// GET `url` over plain HTTP whatever the status: the status and the body, an error only
// when no whole answer came within `timeout` (the ops listener's answers for the command
// line). Blocking, on its own io_context.
FetchedDocument getOverHttp(const HttpsUrl& url, std::chrono::milliseconds timeout, std::size_t max_bytes);

}  // namespace ketenpoort
