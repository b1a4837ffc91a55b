#include "gateway/http/https_client.hpp"

#include "gateway/http/document_fetch.hpp"

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

ClientTls::ClientTls(const std::filesystem::path& ca_bundle, const std::filesystem::path& certificate,
                     const std::filesystem::path& private_key) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  const auto problems = configureClientTls(tls->native_handle(), ca_bundle, certificate, private_key);
  if (!problems.empty()) throw std::runtime_error("client TLS setup: " + problems.front());
  current_ = std::move(tls);
}

std::shared_ptr<asio::ssl::context> ClientTls::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::vector<std::string> ClientTls::use(const TlsFiles& files) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  auto problems = configureClientTls(tls->native_handle(), files.ca_bundle, files.certificate, files.private_key);
  if (problems.empty()) {
    std::lock_guard lock(mutex_);
    current_ = std::move(tls);
  }
  return problems;
}

namespace {

using Result = std::variant<HttpsResponse, std::string>;

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

// An idle connection and the context it was made on (which it keeps alive: the stream's
// SSL object was made from it).
struct KeptConnection {
  std::shared_ptr<asio::ssl::context> made_on;
  std::unique_ptr<TlsStream> stream;
};

// The pool's shared part: request coroutines hold it, so a request that ends after the
// pool object is gone still finds somewhere to give its connection back to.
struct HttpsConnectionPool::State {
  State(asio::io_context& n, std::shared_ptr<const ClientTls> t, std::chrono::milliseconds o, std::size_t m)
      : network(n), tls(std::move(t)), timeout(o), max_idle(m) {}

  // A kept connection to `authority` made on the context `current`, or null. Kept ones
  // made on an older context go (closed without a word; the server sees an end).
  std::unique_ptr<TlsStream> takeIdle(const std::string& authority, const asio::ssl::context* current) {
    std::vector<KeptConnection> outdated;
    std::lock_guard lock(mutex);
    auto found = idle.find(authority);
    while (found != idle.end() && !found->second.empty()) {
      KeptConnection kept = std::move(found->second.back());
      found->second.pop_back();
      if (kept.made_on.get() == current) return std::move(kept.stream);
      outdated.push_back(std::move(kept));
    }
    return nullptr;
  }

  void giveBack(const std::string& authority, KeptConnection kept) {
    std::lock_guard lock(mutex);
    if (closed) return;
    auto& list = idle[authority];
    if (list.size() < max_idle) list.push_back(std::move(kept));
  }

  asio::io_context& network;
  std::shared_ptr<const ClientTls> tls;
  std::chrono::milliseconds timeout;
  std::size_t max_idle;
  std::mutex mutex;
  bool closed = false;
  std::map<std::string, std::vector<KeptConnection>> idle;  // by host:port
};

namespace {

// One request: on the connection it was given (kept, on its own strand) or a new one on
// that strand. Every step of a connection runs on its strand, so Beast's timer and the
// coroutine never touch the stream at once.
asio::awaitable<Result> pooledRequest(std::shared_ptr<HttpsConnectionPool::State> state, KeptConnection connection,
                                      HttpsUrl url, std::string method,
                                      std::vector<std::pair<std::string, std::string>> headers,
                                      std::shared_ptr<const std::string> body) {
  const std::string authority = url.host + ":" + std::to_string(url.port);
  const std::string_view content = body ? std::string_view(*body) : std::string_view();
  bool fresh = false;
  for (;;) {
    if (!connection.stream) {
      fresh = true;
      connection.made_on = state->tls->current();
      connection.stream =
          std::make_unique<TlsStream>(co_await asio::this_coro::executor, connection.made_on->native_handle());
      if (auto error = co_await connectTls(*connection.stream, url.host, url.port, state->timeout)) co_return *error;
    }
    ExchangeOutcome outcome =
        co_await exchangeOn(*connection.stream, url.host, method, url.target, headers, content, state->timeout);
    if (outcome.reusable) {
      state->giveBack(authority, std::move(connection));
      co_return std::move(outcome.result);
    }
    connection.stream.reset();
    // A kept connection the server closed while it was idle: once more on a new one.
    if (fresh || outcome.answer_started || !std::holds_alternative<std::string>(outcome.result)) {
      co_return std::move(outcome.result);
    }
  }
}

}  // namespace

HttpsConnectionPool::HttpsConnectionPool(asio::io_context& network, const HttpsClientOptions& tls_and_timeout,
                                         std::size_t max_idle)
    : HttpsConnectionPool(network,
                          std::make_shared<const ClientTls>(tls_and_timeout.ca_bundle, tls_and_timeout.certificate,
                                                            tls_and_timeout.private_key),
                          tls_and_timeout.timeout, max_idle) {}

HttpsConnectionPool::HttpsConnectionPool(asio::io_context& network, std::shared_ptr<const ClientTls> tls,
                                         std::chrono::milliseconds timeout, std::size_t max_idle)
    : state_(std::make_shared<State>(network, std::move(tls), timeout, max_idle)) {}

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
  KeptConnection kept;
  kept.made_on = state_->tls->current();
  kept.stream = state_->takeIdle(url.host + ":" + std::to_string(url.port), kept.made_on.get());
  if (!kept.stream) kept.made_on.reset();
  // A kept connection brings its strand; a new one gets its own.
  const asio::any_io_executor strand =
      kept.stream ? kept.stream->get_executor() : asio::any_io_executor(asio::make_strand(state_->network));
  asio::co_spawn(strand,
                 pooledRequest(state_, std::move(kept), url, std::move(method), std::move(headers), std::move(body)),
                 [done = std::move(done)](const std::exception_ptr& e, Result result) {
                   done(e ? Result(std::string("unexpected exception")) : std::move(result));
                 });
}

void HttpsConnectionPool::close() {
  std::map<std::string, std::vector<KeptConnection>> dropped;
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
  Impl(const HttpsClientOptions& options, std::shared_ptr<const ClientTls> tls)
      : server{options.host, options.port, "/"}, pool(network, std::move(tls), options.timeout, /*max_idle=*/1) {}

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
HttpsClient::HttpsClient(const HttpsClientOptions& server, std::shared_ptr<const ClientTls> tls)
    : impl_(std::make_unique<Impl>(server, std::move(tls))) {}
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

namespace {

// One GET over plain HTTP; the deadline covers every step (Beast enforces it on the
// asynchronous operations only, which is why this is a coroutine).
asio::awaitable<FetchedDocument> plainGet(HttpsUrl url, std::chrono::milliseconds timeout, std::size_t max_bytes) {
  FetchedDocument out;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), kUseTuple);
  if (resolve_ec) co_return FetchedDocument{0, {}, "resolve " + url.host + ": " + resolve_ec.message()};
  if (auto [ec, endpoint] = co_await stream.async_connect(endpoints, kUseTuple); ec) {
    co_return FetchedDocument{0, {}, "connect: " + ec.message()};
  }
  http::request<http::empty_body> request(http::verb::get, url.target, 11);
  request.set(http::field::host, url.host);
  request.set(http::field::connection, "close");
  if (auto [ec, n] = co_await http::async_write(stream, request, kUseTuple); ec) {
    co_return FetchedDocument{0, {}, "write: " + ec.message()};
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple); ec) {
    co_return FetchedDocument{0, {}, "read: " + ec.message()};
  }
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  co_return out;
}

}  // namespace

FetchedDocument getOverHttp(const HttpsUrl& url, std::chrono::milliseconds timeout, std::size_t max_bytes) {
  asio::io_context network;
  FetchedDocument out{0, {}, "unanswered"};
  asio::co_spawn(network, plainGet(url, timeout, max_bytes), [&out](const std::exception_ptr& e, FetchedDocument got) {
    out = e ? FetchedDocument{0, {}, "unexpected exception"} : std::move(got);
  });
  network.run();
  return out;
}

FetchedDocument fetchDocument(const WebUrl& url, const std::filesystem::path& ca_bundle,
                              std::chrono::milliseconds timeout, std::size_t max_bytes) {
  FetchedDocument out;
  if (url.tls) {
    HttpsClientOptions options{url.address.host, url.address.port, ca_bundle, {}, {}, timeout};
    const auto answer = httpsRequest(options, "GET", url.address.target);
    if (const auto* error = std::get_if<std::string>(&answer)) return {0, {}, *error};
    const auto& response = std::get<HttpsResponse>(answer);
    out.status = response.status;
    if (response.status != 200) {
      out.error = "http-" + std::to_string(response.status);
    } else if (response.body.size() > max_bytes) {
      out.error = "body larger than " + std::to_string(max_bytes) + " bytes";
    } else {
      out.body = response.body;
    }
    return out;
  }
  out = getOverHttp(url.address, timeout, max_bytes);
  if (out.ok() && out.status != 200) {
    out.error = "http-" + std::to_string(out.status);
    out.body.clear();
  }
  return out;
}

}  // namespace ketenpoort
