#include "gateway/http/https_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl.hpp>

#include <thread>
#include <vector>

#include "gateway/http/listeners.hpp"
#include "gateway/tls/peer_certificate.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort {

using namespace http_internal;

struct HttpsReceiver::Impl {
  Impl(HttpsReceiverOptions o, Handler h)
      : options(std::move(o)),
        handler(std::move(h)),
        tls(asio::ssl::context::tls_server),
        acceptor(openAcceptor(ioc, "receiver", ListenerConfig{options.address, options.port})) {
    const auto problems = configureServerTls(tls.native_handle(), options.tls);
    if (!problems.empty()) throw std::runtime_error("receiver TLS setup: " + problems.front());
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    auto& transport = beast::get_lowest_layer(stream);
    transport.expires_after(std::chrono::seconds(10));
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
    if (handshake_ec) co_return;
    const std::string peer_oin = peerSubjectSerialNumber(stream.native_handle()).value_or("");
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      transport.expires_after(std::chrono::seconds(60));
      auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
      if (read_ec) break;
      auto& request = parser.get();
      const ApiRequest api = toApiRequest(request, nullptr);
      const bool keep_alive = request.keep_alive();
      ApiResponse response;
      try {
        response = handler(api, peer_oin);
      } catch (const std::exception& e) {
        logError("receiver-handler-failed", {{"what", e.what()}});
        response = ApiResponse{500, "text/plain", "handler failed", {}};
      }
      const auto write_ec =
          co_await writeApiResponse(stream, response, request.version(), keep_alive, std::chrono::seconds(10));
      if (write_ec || !keep_alive) break;
    }
    transport.expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(kUseTuple);
  }

  HttpsReceiverOptions options;
  Handler handler;
  asio::io_context ioc;
  asio::ssl::context tls;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

HttpsReceiver::HttpsReceiver(HttpsReceiverOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpsReceiver::~HttpsReceiver() { stop(); }

void HttpsReceiver::start() {
  Impl& s = *impl_;
  auto serve = [&s](tcp::socket socket) {
    auto executor = socket.get_executor();
    asio::co_spawn(executor, s.session(std::move(socket)), logEscapedException("receiver"));
  };
  asio::co_spawn(s.acceptor.get_executor(),
                 acceptLoop(
                     s.acceptor, "receiver", [] { return true; }, serve),
                 logEscapedException("receiver accept"));
  for (unsigned i = 0; i < std::max(1u, s.options.threads); ++i) {
    s.threads.emplace_back([&s] { s.ioc.run(); });
  }
}

void HttpsReceiver::stop() {
  Impl& s = *impl_;
  s.ioc.stop();
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  s.threads.clear();
}

std::uint16_t HttpsReceiver::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace ketenpoort
