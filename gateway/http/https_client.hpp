#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <memory>
#include <optional>
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

// A client that keeps its TLS context and one keep-alive connection, for callers that
// send many requests to one server: delivery workers, simulators, the load client. Not
// thread-safe: one per thread. A request on a connection the server has closed meanwhile
// is retried once on a fresh connection (only when nothing of the answer was read).
class HttpsClient {
 public:
  // Throws std::runtime_error when the TLS material cannot be loaded.
  explicit HttpsClient(HttpsClientOptions options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  std::variant<HttpsResponse, std::string> request(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      const std::string& body = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "https://host:port/path" → host, port (443 when absent), target ("/" when absent).
struct HttpsUrl {
  std::string host;
  std::uint16_t port = 443;
  std::string target = "/";
};
std::optional<HttpsUrl> parseHttpsUrl(std::string_view url);

}  // namespace ketenpoort
