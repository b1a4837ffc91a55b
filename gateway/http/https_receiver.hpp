#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/api/api_message.hpp"
#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

struct HttpsReceiverOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  TlsFiles tls;            // client certificates are required and verified against tls.ca_bundle
  unsigned threads = 2;
  std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
};

// A small mTLS HTTP/1.1 server for the systems at the other end of the chain: the
// simulators of gemeente, DUO and Belastingdienst, and tests. Same TLS policy as the
// gateway. The handler runs on the receiver's threads and may block briefly (a simulated
// delay holds one thread); `peer_oin` is the OIN in the client certificate, or "".
class HttpsReceiver {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest& request, const std::string& peer_oin)>;

  // Binds the port; throws std::runtime_error with a readable message when it cannot.
  HttpsReceiver(HttpsReceiverOptions options, Handler handler);
  ~HttpsReceiver();  // stops
  HttpsReceiver(const HttpsReceiver&) = delete;
  HttpsReceiver& operator=(const HttpsReceiver&) = delete;

  void start();
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ketenpoort
