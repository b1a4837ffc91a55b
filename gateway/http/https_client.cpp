#include "gateway/http/https_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl.hpp>

#include <strings.h>

#include <optional>

#include "gateway/http/http_io.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort {

using namespace http_internal;

std::string HttpsResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return {};
}

std::optional<HttpsUrl> parseHttpsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpsUrl out;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    unsigned port = 0;
    const std::string_view digits = authority.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return std::nullopt;
  out.host = std::string(authority);
  return out;
}

struct HttpsClient::Impl {
  explicit Impl(HttpsClientOptions o) : options(std::move(o)), tls(asio::ssl::context::tls_client) {
    const auto problems = configureClientTls(tls.native_handle(), options.ca_bundle,
                                             options.certificate, options.private_key);
    if (!problems.empty()) throw std::runtime_error("client TLS setup: " + problems.front());
  }

  // One request on the kept connection (connecting first when there is none). `fresh`
  // tells whether this connection was made for this request.
  asio::awaitable<std::variant<HttpsResponse, std::string>> exchange(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
      bool& fresh, bool& answer_started) {
    auto executor = co_await asio::this_coro::executor;
    if (!stream) {
      fresh = true;
      stream.emplace(executor, tls);
      // SSL_set_tlsext_host_name without its macro's C-style cast (SNI for the receiver).
      SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(options.host.c_str()));
      X509_VERIFY_PARAM* param = SSL_get0_param(stream->native_handle());
      beast::error_code ec;
      asio::ip::make_address(options.host, ec);
      if (ec) {
        X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), 0);
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str());
      }
      auto& transport = beast::get_lowest_layer(*stream);
      transport.expires_after(options.timeout);
      tcp::resolver resolver(executor);
      auto [resolve_ec, endpoints] =
          co_await resolver.async_resolve(options.host, std::to_string(options.port), kUseTuple);
      if (resolve_ec) co_return "resolve " + options.host + ": " + resolve_ec.message();
      auto [connect_ec, endpoint] = co_await transport.async_connect(endpoints, kUseTuple);
      if (connect_ec) co_return "connect: " + connect_ec.message();
      auto [handshake_ec] =
          co_await stream->async_handshake(asio::ssl::stream_base::client, kUseTuple);
      if (handshake_ec) co_return "TLS handshake: " + handshake_ec.message();
    }
    beast::get_lowest_layer(*stream).expires_after(options.timeout);
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, options.host);
    for (const auto& [name, value] : headers) request.insert(name, value);
    request.body() = body;
    request.keep_alive(true);
    request.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(*stream, request, kUseTuple);
    if (write_ec) co_return "write: " + write_ec.message();
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{64} * 1024 * 1024);
    auto [header_ec, header_read] = co_await http::async_read_header(*stream, buffer, parser, kUseTuple);
    if (header_ec) co_return "read: " + header_ec.message();
    answer_started = true;
    auto [read_ec, read] = co_await http::async_read(*stream, buffer, parser, kUseTuple);
    if (read_ec) co_return "read: " + read_ec.message();
    HttpsResponse response;
    response.status = parser.get().result_int();
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) stream.reset();
    co_return response;
  }

  std::variant<HttpsResponse, std::string> once(
      const std::string& method, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
      bool& fresh, bool& answer_started) {
    std::variant<HttpsResponse, std::string> result = std::string("not run");
    ioc.restart();
    asio::co_spawn(ioc, exchange(method, target, headers, body, fresh, answer_started),
                   [&result](const std::exception_ptr& e, std::variant<HttpsResponse, std::string> r) {
                     result = e ? std::variant<HttpsResponse, std::string>(
                                      std::string("unexpected exception"))
                                : std::move(r);
                   });
    ioc.run();
    if (std::holds_alternative<std::string>(result)) stream.reset();
    return result;
  }

  HttpsClientOptions options;
  asio::ssl::context tls;
  asio::io_context ioc;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
};

std::variant<HttpsResponse, std::string> httpsRequest(
    const HttpsClientOptions& options, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  try {
    return HttpsClient(options).request(method, target, headers, body);
  } catch (const std::exception& e) {
    return std::string(e.what());  // the TLS material could not be loaded
  }
}

HttpsClient::HttpsClient(HttpsClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpsClient::~HttpsClient() {
  impl_->stream.reset();
}

std::variant<HttpsResponse, std::string> HttpsClient::request(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  bool fresh = false;
  bool answer_started = false;
  auto result = impl_->once(method, target, headers, body, fresh, answer_started);
  if (std::holds_alternative<std::string>(result) && !fresh && !answer_started) {
    // The kept connection was closed by the server while idle: one retry on a new one.
    fresh = false;
    result = impl_->once(method, target, headers, body, fresh, answer_started);
  }
  return result;
}

}  // namespace ketenpoort
