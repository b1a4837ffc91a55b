#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <openssl/ssl.h>

namespace ketenpoort::testing {

struct TestClientOptions {
  std::filesystem::path ca_bundle;
  std::filesystem::path certificate;  // empty: no client certificate
  std::filesystem::path private_key;
  // Overrides to play a non-conforming client: protocol versions and TLS 1.2 ciphers.
  int min_version = 0;
  int max_version = 0;
  std::string tls12_ciphers;
};

struct TestResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// A TLS client whose every step the test drives and times: connect, handshake, write
// raw bytes (partial requests, slow clients), read a response, wait for the close.
// Every call blocks with its own timeout.
class TestTlsClient {
 public:
  TestTlsClient(std::uint16_t port, const TestClientOptions& options);
  ~TestTlsClient();

  // Empty on success, otherwise what went wrong.
  std::string connectAndHandshake(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::string writeRaw(const std::string& bytes);
  // A response, or nullopt when the connection failed or closed first (error in lastError()).
  std::optional<TestResponse> readResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closes the connection within `timeout` (EOF, reset, TLS close).
  bool closedByPeerWithin(std::chrono::milliseconds timeout);
  const std::string& lastError() const { return last_error_; }
  SSL* nativeHandle();

  // connect + handshake + one request + response; nullopt on any failure. A POST says
  // `Content-Type: application/json` unless `extra_headers` (raw lines, each ending in
  // CRLF) name another.
  std::optional<TestResponse> request(const std::string& method, const std::string& target,
                                      const std::string& body = {}, const std::string& extra_headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string last_error_;
};

// The serial number (hex) of the certificate a server on 127.0.0.1:port shows a new
// connection, or "no handshake: …".
std::string serialShownBy(std::uint16_t port, const TestClientOptions& as);

}  // namespace ketenpoort::testing
