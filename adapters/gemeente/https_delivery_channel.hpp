#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "gateway/config/gateway_config.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort {

// Delivers to a recipient's HTTPS endpoint with the gateway's own client certificate
// (docs/adapters/gemeente.md). Headers carry the transaction id (the receiver's
// idempotency key), flow, purpose, legal basis and the trace. 2xx is delivered; 409 is
// the receiver saying it has this transaction already, also delivered. Keeps keep-alive
// connections per endpoint, shared by the delivery workers.
class HttpsDeliveryChannel final : public DeliveryChannel {
 public:
  HttpsDeliveryChannel(TlsFiles gateway_tls, std::chrono::milliseconds timeout);
  DeliveryAttempt deliver(const std::string& url, const OutboxEntry& entry,
                          std::string_view content_type, const std::string& body) override;

 private:
  TlsFiles tls_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<HttpsClient>>> idle_;  // by host:port
};

}  // namespace ketenpoort
