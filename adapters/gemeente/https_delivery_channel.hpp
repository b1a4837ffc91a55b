#pragma once

#include <chrono>
#include <memory>

#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort {

// Delivers to a recipient's HTTPS endpoint with the gateway's own client certificate
// (docs/adapters/gemeente.md). Headers carry the transaction id (the receiver's
// idempotency key), flow, purpose, legal basis and the trace. 2xx is delivered; 409 is
// the receiver saying it has this transaction already, also delivered. Runs on the
// gateway's network threads with keep-alive connections per endpoint
// (HttpsConnectionPool), as many as deliveries are in flight.
class HttpsDeliveryChannel final : public DeliveryChannel {
 public:
  explicit HttpsDeliveryChannel(std::chrono::milliseconds timeout);
  ~HttpsDeliveryChannel() override;
  // Throws std::runtime_error when the gateway's TLS material cannot be loaded.
  void open(boost::asio::io_context& network, const std::shared_ptr<const ClientTls>& gateway_tls) override;
  void close() override;
  void deliver(const std::string& url, const OutboxEntry& entry, std::string_view content_type,
               std::shared_ptr<const std::string> body, Done done) override;

 private:
  std::chrono::milliseconds timeout_;
  std::unique_ptr<HttpsConnectionPool> pool_;  // from open() to close()
};

}  // namespace ketenpoort
