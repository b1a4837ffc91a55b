#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gateway/config/gateway_config.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

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

// The TLS context a client's new connections use: a CA bundle and (optionally) the
// gateway's own certificate and key, replaced while requests go on. The gateway's delivery
// and its questions to source systems share one, kept current with the files its
// listeners use (a renewed certificate is presented at the next connection, without a
// restart). A connection keeps the context it began with. Thread-safe.
class ClientTls {
 public:
  // Throws std::runtime_error naming the first problem when the files do not load.
  ClientTls(const std::filesystem::path& ca_bundle, const std::filesystem::path& certificate,
            const std::filesystem::path& private_key);
  explicit ClientTls(const TlsFiles& files) : ClientTls(files.ca_bundle, files.certificate, files.private_key) {}

  std::shared_ptr<boost::asio::ssl::context> current() const;

  // Loads `files` and, when they load, makes them current. Returns the problems; with any,
  // nothing changed. Blocking file reads: not on a network thread.
  std::vector<std::string> use(const TlsFiles& files);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

// One request on a fresh mTLS connection, on the caller's thread (it blocks). Meant for
// command-line tools, the demo's self-check and tests, never for a network thread.
// Returns the response or a readable error.
std::variant<HttpsResponse, std::string> httpsRequest(
    const HttpsClientOptions& options, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {}, const std::string& body = {});

// A client that keeps its TLS context and one keep-alive connection, for callers that
// send many requests to one server: delivery workers, simulators, the load client. Not
// thread-safe: one per thread. A request on a connection the server has closed meanwhile
// is retried once on a fresh connection (only when nothing of the answer was read).
class HttpsClient {
 public:
  // Throws std::runtime_error when the TLS material cannot be loaded.
  explicit HttpsClient(const HttpsClientOptions& options);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;
  // To `server` (host and port), on connections made with `tls`'s current context.
  HttpsClient(const HttpsClientOptions& server, std::shared_ptr<const ClientTls> tls);

  std::variant<HttpsResponse, std::string> request(const std::string& method, const std::string& target,
                                                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                                                   const std::string& body = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Requests to HTTPS servers on the gateway's network threads (no thread of its own): one
// coroutine per request, on a keep-alive connection taken from the server's idle ones or
// made for it, given back when the answer allows. For the delivery path, where a thread
// and an io_context per client cost a hand-off each way. A kept connection the server
// closed meanwhile is replaced once (only when nothing of the answer was read).
class HttpsConnectionPool {
 public:
  using Result = std::variant<HttpsResponse, std::string>;
  using Header = std::pair<std::string, std::string>;

  // Throws std::runtime_error when the TLS material cannot be loaded. `max_idle` bounds
  // the idle connections kept per server (host:port).
  HttpsConnectionPool(boost::asio::io_context& network, const HttpsClientOptions& tls_and_timeout,
                      std::size_t max_idle);
  // New connections take `tls`'s context current when they are made; a kept connection
  // made on an older context is not used again (the next request presents the new one).
  HttpsConnectionPool(boost::asio::io_context& network, std::shared_ptr<const ClientTls> tls,
                      std::chrono::milliseconds timeout, std::size_t max_idle);
  ~HttpsConnectionPool();
  HttpsConnectionPool(const HttpsConnectionPool&) = delete;
  HttpsConnectionPool& operator=(const HttpsConnectionPool&) = delete;

  // Starts a request and returns at once; `done` runs once on a network thread with the
  // response or a readable error (never a body). The host and port of `url` are the
  // server; the options' host and port are not used.
  void request(const HttpsUrl& url, std::string method, std::vector<Header> headers,
               std::shared_ptr<const std::string> body, std::function<void(Result)> done);

  // Drops the idle connections; later requests fail with "pool-closed". Call it with the
  // network stopped (or before its io_context goes): a connection must not outlive it.
  void close();

  struct State;  // internal: what requests in flight share with the pool

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ketenpoort
