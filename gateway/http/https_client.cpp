#include "gateway/http/https_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <strings.h>

#include <map>
#include <mutex>
#include <optional>

#include "gateway/http/http_io.hpp"
#include "gateway/http/tls_stream.hpp"
#include "gateway/tls/tls_policy.hpp"

namespace ketenpoort {

using namespace http_internal;

std::string HttpsResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return {};
}

namespace {

using Result = std::variant<HttpsResponse, std::string>;

asio::ssl::context clientTls(const HttpsClientOptions& options) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  const auto problems =
      configureClientTls(tls.native_handle(), options.ca_bundle, options.certificate, options.private_key);
  if (!problems.empty()) throw std::runtime_error("client TLS setup: " + problems.front());
  return tls;
}

// SNI and the server name (or address) the certificate must carry, then TCP and TLS.
// Returns an error, or nullopt when the connection is up.
asio::awaitable<std::optional<std::string>> connectTls(TlsStream& stream, const std::string& host, std::uint16_t port,
                                                       std::chrono::milliseconds timeout) {
  // SSL_set_tlsext_host_name without its macro's C-style cast (SNI for the receiver).
  SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(host.c_str()));
  X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
  stream.expires_after(timeout);
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), kUseTuple);
  if (resolve_ec) co_return "resolve " + host + ": " + resolve_ec.message();
  if (const auto connect_ec = co_await stream.connect(endpoints)) co_return "connect: " + connect_ec.message();
  if (const auto handshake_ec = co_await stream.handshake(asio::ssl::stream_base::client)) {
    co_return "TLS handshake: " + handshake_ec.message();
  }
  co_return std::nullopt;
}

// What became of one request on an open connection.
struct ExchangeOutcome {
  Result result = std::string("not run");
  bool answer_started = false;  // something of the answer was read: never send it again
  bool reusable = false;        // the connection may carry the next request
};

asio::awaitable<ExchangeOutcome> exchangeOn(TlsStream& stream, const std::string& host, const std::string& method,
                                            const std::string& target,
                                            const std::vector<std::pair<std::string, std::string>>& headers,
                                            std::string_view body, std::chrono::milliseconds timeout) {
  ExchangeOutcome outcome;
  stream.expires_after(timeout);
  http::request<http::span_body<const char>> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, host);
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.body() = beast::span<const char>(body.data(), body.size());
  request.keep_alive(true);
  request.prepare_payload();
  if (const auto write_ec = co_await writeHttp(stream, request)) {
    outcome.result = "write: " + write_ec.message();
    co_return outcome;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{64} * 1024 * 1024);
  if (const auto header_ec = co_await readHttp(stream, buffer, parser, /*header_only=*/true)) {
    outcome.result = "read: " + header_ec.message();
    co_return outcome;
  }
  outcome.answer_started = true;
  if (const auto read_ec = co_await readHttp(stream, buffer, parser, /*header_only=*/false)) {
    outcome.result = "read: " + read_ec.message();
    co_return outcome;
  }
  HttpsResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(parser.get().body());
  outcome.reusable = parser.get().keep_alive();
  outcome.result = std::move(response);
  co_return outcome;
}

}  // namespace

// The pool's shared part: request coroutines hold it, so a request that ends after the
// pool object is gone still finds somewhere to give its connection back to.
struct HttpsConnectionPool::State {
  State(asio::io_context& n, const HttpsClientOptions& o, std::size_t m)
      : network(n), tls(clientTls(o)), timeout(o.timeout), max_idle(m) {}

  // A kept connection to `authority`, or null.
  std::unique_ptr<TlsStream> takeIdle(const std::string& authority) {
    std::lock_guard lock(mutex);
    auto found = idle.find(authority);
    if (found == idle.end() || found->second.empty()) return nullptr;
    std::unique_ptr<TlsStream> stream = std::move(found->second.back());
    found->second.pop_back();
    return stream;
  }

  void giveBack(const std::string& authority, std::unique_ptr<TlsStream> stream) {
    std::lock_guard lock(mutex);
    if (closed) return;
    auto& kept = idle[authority];
    if (kept.size() < max_idle) kept.push_back(std::move(stream));
  }

  asio::io_context& network;
  asio::ssl::context tls;
  std::chrono::milliseconds timeout;
  std::size_t max_idle;
  std::mutex mutex;
  bool closed = false;
  std::map<std::string, std::vector<std::unique_ptr<TlsStream>>> idle;  // by host:port
};

namespace {

// One request: on the connection it was given (kept, on its own strand) or a new one on
// that strand. Every step of a connection runs on its strand, so Beast's timer and the
// coroutine never touch the stream at once.
asio::awaitable<Result> pooledRequest(std::shared_ptr<HttpsConnectionPool::State> state,
                                      std::unique_ptr<TlsStream> stream, HttpsUrl url, std::string method,
                                      std::vector<std::pair<std::string, std::string>> headers,
                                      std::shared_ptr<const std::string> body) {
  const std::string authority = url.host + ":" + std::to_string(url.port);
  const std::string_view content = body ? std::string_view(*body) : std::string_view();
  bool fresh = false;
  for (;;) {
    if (!stream) {
      fresh = true;
      stream = std::make_unique<TlsStream>(co_await asio::this_coro::executor, state->tls.native_handle());
      if (auto error = co_await connectTls(*stream, url.host, url.port, state->timeout)) co_return *error;
    }
    ExchangeOutcome outcome =
        co_await exchangeOn(*stream, url.host, method, url.target, headers, content, state->timeout);
    if (outcome.reusable) {
      state->giveBack(authority, std::move(stream));
      co_return std::move(outcome.result);
    }
    stream.reset();
    // A kept connection the server closed while it was idle: once more on a new one.
    if (fresh || outcome.answer_started || !std::holds_alternative<std::string>(outcome.result)) {
      co_return std::move(outcome.result);
    }
  }
}

}  // namespace

HttpsConnectionPool::HttpsConnectionPool(asio::io_context& network, const HttpsClientOptions& tls_and_timeout,
                                         std::size_t max_idle)
    : state_(std::make_shared<State>(network, tls_and_timeout, max_idle)) {}

HttpsConnectionPool::~HttpsConnectionPool() { close(); }

void HttpsConnectionPool::request(const HttpsUrl& url, std::string method, std::vector<Header> headers,
                                  std::shared_ptr<const std::string> body, std::function<void(Result)> done) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) {
      done(std::string("pool-closed"));
      return;
    }
  }
  std::unique_ptr<TlsStream> stream = state_->takeIdle(url.host + ":" + std::to_string(url.port));
  // A kept connection brings its strand; a new one gets its own.
  const asio::any_io_executor strand =
      stream ? stream->get_executor() : asio::any_io_executor(asio::make_strand(state_->network));
  asio::co_spawn(strand,
                 pooledRequest(state_, std::move(stream), url, std::move(method), std::move(headers), std::move(body)),
                 [done = std::move(done)](const std::exception_ptr& e, Result result) {
                   done(e ? Result(std::string("unexpected exception")) : std::move(result));
                 });
}

void HttpsConnectionPool::close() {
  std::map<std::string, std::vector<std::unique_ptr<TlsStream>>> dropped;
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
    dropped.swap(state_->idle);
  }
}

// The one-connection client is the pool driven on the caller's thread: its own
// io_context, run until the request's callback.
struct HttpsClient::Impl {
  explicit Impl(const HttpsClientOptions& options)
      : server{options.host, options.port, "/"}, pool(network, options, /*max_idle=*/1) {}

  HttpsUrl server;
  asio::io_context network;  // before the pool: the pool's connections go first
  HttpsConnectionPool pool;
};

std::variant<HttpsResponse, std::string> httpsRequest(const HttpsClientOptions& options, const std::string& method,
                                                      const std::string& target,
                                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                                      const std::string& body) {
  try {
    return HttpsClient(options).request(method, target, headers, body);
  } catch (const std::exception& e) {
    return std::string(e.what());  // the TLS material could not be loaded
  }
}

HttpsClient::HttpsClient(const HttpsClientOptions& options) : impl_(std::make_unique<Impl>(options)) {}
HttpsClient::~HttpsClient() = default;

std::variant<HttpsResponse, std::string> HttpsClient::request(
    const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body) {
  HttpsUrl url = impl_->server;
  url.target = target;
  HttpsConnectionPool::Result result = std::string("unanswered");
  impl_->network.restart();
  impl_->pool.request(url, method, headers, std::make_shared<const std::string>(body),
                      [&result](HttpsConnectionPool::Result r) { result = std::move(r); });
  impl_->network.run();
  return result;
}

}  // namespace ketenpoort
