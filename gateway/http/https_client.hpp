#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ketenpoort {

struct HttpsClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::filesystem::path ca_bundle;
  std::filesystem::path certificate;  // empty: no client certificate
  std::filesystem::path private_key;
  std::chrono::milliseconds timeout{5000};
};

struct HttpsResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

// One request on a fresh mTLS connection, on the caller's thread (it blocks). Meant for
// command-line tools, the demo's self-check and tests, never for a network thread.
// Returns the response or a readable error.
std::variant<HttpsResponse, std::string> httpsRequest(
    const HttpsClientOptions& options, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    const std::string& body = {});

}  // namespace ketenpoort
