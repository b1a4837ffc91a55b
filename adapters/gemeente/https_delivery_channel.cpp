#include "adapters/gemeente/https_delivery_channel.hpp"

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

HttpsDeliveryChannel::HttpsDeliveryChannel(TlsFiles gateway_tls, std::chrono::milliseconds timeout)
    : tls_(std::move(gateway_tls)), timeout_(timeout) {}

DeliveryAttempt HttpsDeliveryChannel::deliver(const std::string& url, const OutboxEntry& entry,
                                              std::string_view content_type,
                                              const std::string& body) {
  const auto parsed = parseHttpsUrl(url);
  if (!parsed) return {false, "endpoint-url-invalid"};
  const std::string authority = parsed->host + ":" + std::to_string(parsed->port);
  std::unique_ptr<HttpsClient> client;
  {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[authority];
    if (!idle.empty()) {
      client = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (!client) {
    try {
      client = std::make_unique<HttpsClient>(HttpsClientOptions{
          parsed->host, parsed->port, tls_.ca_bundle, tls_.certificate, tls_.private_key, timeout_});
    } catch (const std::exception& e) {
      return {false, e.what()};
    }
  }
  const auto result = client->request(
      "POST", parsed->target,
      {{"Content-Type", std::string(content_type)},
       {"X-Transaction-Id", entry.transaction_id},
       {"X-Flow", entry.flow},
       {"X-Doelbinding", entry.purpose},
       {"X-Grondslag", entry.legal_basis},
       {"traceparent", "00-" + entry.trace_id + "-" + newTraceId().substr(0, 16) + "-01"}},
      body);
  DeliveryAttempt attempt;
  if (const auto* error = std::get_if<std::string>(&result)) {
    attempt.error = *error;
  } else {
    const unsigned status = std::get<HttpsResponse>(result).status;
    attempt.delivered = (status >= 200 && status < 300) || status == 409;
    if (!attempt.delivered) attempt.error = "http-" + std::to_string(status);
  }
  {
    std::lock_guard lock(mutex_);
    idle_[authority].push_back(std::move(client));
  }
  return attempt;
}

}  // namespace ketenpoort
