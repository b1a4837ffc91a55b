#include "adapters/gemeente/https_delivery_channel.hpp"

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {
// Idle connections kept per endpoint: enough for every delivery in flight to find one.
constexpr std::size_t kIdlePerEndpoint = 256;
}  // namespace

HttpsDeliveryChannel::HttpsDeliveryChannel(std::chrono::milliseconds timeout) : timeout_(timeout) {}

HttpsDeliveryChannel::~HttpsDeliveryChannel() { close(); }

void HttpsDeliveryChannel::open(boost::asio::io_context& network, const std::shared_ptr<const ClientTls>& gateway_tls) {
  pool_ = std::make_unique<HttpsConnectionPool>(network, gateway_tls, timeout_, kIdlePerEndpoint);
}

void HttpsDeliveryChannel::close() {
  if (pool_) pool_->close();
}

void HttpsDeliveryChannel::deliver(const std::string& url, const OutboxEntry& entry, std::string_view content_type,
                                   std::shared_ptr<const std::string> body, Done done) {
  const auto parsed = parseHttpsUrl(url);
  if (!parsed) return done({false, "endpoint-url-invalid"});
  if (!pool_) return done({false, "channel-not-open"});
  pool_->request(*parsed, "POST",
                 {{"Content-Type", std::string(content_type)},
                  {"X-Transaction-Id", entry.transaction_id},
                  {"X-Flow", entry.flow},
                  {"X-Doelbinding", entry.purpose},
                  {"X-Grondslag", entry.legal_basis},
                  {"traceparent", "00-" + entry.trace_id + "-" + newTraceId().substr(0, 16) + "-01"}},
                 std::move(body), [done = std::move(done)](HttpsConnectionPool::Result result) {
                   DeliveryAttempt attempt;
                   if (const auto* error = std::get_if<std::string>(&result)) {
                     attempt.error = *error;
                   } else {
                     const unsigned status = std::get<HttpsResponse>(result).status;
                     attempt.delivered = (status >= 200 && status < 300) || status == 409;
                     if (!attempt.delivered) attempt.error = "http-" + std::to_string(status);
                   }
                   done(std::move(attempt));
                 });
}

}  // namespace ketenpoort
