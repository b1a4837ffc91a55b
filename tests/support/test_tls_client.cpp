#include "tests/support/test_tls_client.hpp"

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <stdexcept>

#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

namespace {
asio::ssl::context makeClientContext(const TestClientOptions& options) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  const auto problems =
      configureClientTls(tls.native_handle(), options.ca_bundle, options.certificate, options.private_key);
  if (!problems.empty()) throw std::runtime_error(problems.front());
  SSL_CTX* ctx = tls.native_handle();
  if (options.min_version) SSL_CTX_set_min_proto_version(ctx, options.min_version);
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx, options.max_version);
  if (!options.tls12_ciphers.empty()) SSL_CTX_set_cipher_list(ctx, options.tls12_ciphers.c_str());
  return tls;
}
}  // namespace

struct TestTlsClient::Impl {
  Impl(std::uint16_t p, const TestClientOptions& options) : port(p), tls(makeClientContext(options)), stream(ioc, tls) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), "127.0.0.1");
  }

  // Runs one coroutine to completion on the private io_context.
  template <typename T>
  T run(asio::awaitable<T> op) {
    T result{};
    asio::co_spawn(ioc, std::move(op), [&result](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      result = std::move(value);
    });
    ioc.restart();
    ioc.run();
    return result;
  }

  std::uint16_t port;
  asio::io_context ioc;
  asio::ssl::context tls;
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

TestTlsClient::TestTlsClient(std::uint16_t port, const TestClientOptions& options)
    : impl_(std::make_unique<Impl>(port, options)) {}

TestTlsClient::~TestTlsClient() = default;

SSL* TestTlsClient::nativeHandle() { return impl_->stream.native_handle(); }

std::string TestTlsClient::connectAndHandshake(std::chrono::milliseconds timeout) {
  auto& s = impl_->stream;
  last_error_ = impl_->run([&]() -> asio::awaitable<std::string> {
    auto& transport = beast::get_lowest_layer(s);
    transport.expires_after(timeout);
    auto [ec] =
        co_await transport.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), impl_->port), kUseTuple);
    if (ec) co_return "connect: " + ec.message();
    auto [hs] = co_await s.async_handshake(asio::ssl::stream_base::client, kUseTuple);
    if (hs) co_return "handshake: " + hs.message();
    co_return std::string();
  }());
  return last_error_;
}

std::string TestTlsClient::writeRaw(const std::string& bytes) {
  auto& s = impl_->stream;
  last_error_ = impl_->run([&]() -> asio::awaitable<std::string> {
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(5));
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(bytes), kUseTuple);
    co_return ec ? "write: " + ec.message() : std::string();
  }());
  return last_error_;
}

std::optional<TestResponse> TestTlsClient::readResponse(std::chrono::milliseconds timeout) {
  auto& s = impl_->stream;
  return impl_->run([&]() -> asio::awaitable<std::optional<TestResponse>> {
    beast::get_lowest_layer(s).expires_after(timeout);
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(s, impl_->buffer, parser, kUseTuple);
    if (ec) {
      last_error_ = "read: " + ec.message();
      co_return std::nullopt;
    }
    TestResponse response;
    response.status = parser.get().result_int();
    for (const auto& field : parser.get()) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response.headers[name] = std::string(field.value());
    }
    response.body = parser.get().body();
    last_error_.clear();
    co_return response;
  }());
}

bool TestTlsClient::closedByPeerWithin(std::chrono::milliseconds timeout) {
  auto& s = impl_->stream;
  return impl_->run([&]() -> asio::awaitable<bool> {
    beast::get_lowest_layer(s).expires_after(timeout);
    char scratch[512];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(scratch), kUseTuple);
      if (!ec) continue;  // data (e.g. an error response) before the close
      last_error_ = ec.message();
      co_return ec != beast::error::timeout;
    }
  }());
}

std::optional<TestResponse> TestTlsClient::request(const std::string& method, const std::string& target,
                                                   const std::string& body, const std::string& extra_headers) {
  if (!connectAndHandshake().empty()) return std::nullopt;
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (method == "POST" && extra_headers.find("Content-Type:") == std::string::npos) {
    raw += "Content-Type: application/json\r\n";
  }
  raw += extra_headers + "\r\n" + body;
  if (!writeRaw(raw).empty()) return std::nullopt;
  return readResponse();
}

std::string serialShownBy(std::uint16_t port, const TestClientOptions& as) {
  TestTlsClient client(port, as);
  if (!client.connectAndHandshake().empty()) return "no handshake: " + client.lastError();
  BIGNUM* serial =
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(SSL_get0_peer_certificate(client.nativeHandle())), nullptr);
  char* hex = BN_bn2hex(serial);
  std::string out = hex;
  OPENSSL_free(hex);
  BN_free(serial);
  return out;
}

}  // namespace ketenpoort::testing
