#pragma once
// Internal to the http module: pieces both the TLS and the ops listener use.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <iterator>
#include <optional>

#include "gateway/api/api_message.hpp"
#include "gateway/api/problem.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/http/tls_stream.hpp"

namespace ketenpoort::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

inline constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The HTTP response for an API answer.
inline http::response<http::string_body> toHttpResponse(const ApiResponse& api, unsigned http_version,
                                                        bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(api.status), http_version};
  response.set(http::field::content_type, api.content_type);
  response.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : api.headers) response.set(name, value);
  response.body() = api.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

template <typename Stream>
asio::awaitable<beast::error_code> writeApiResponse(Stream& stream, const ApiResponse& api, unsigned http_version,
                                                    bool keep_alive, std::chrono::milliseconds timeout) {
  auto response = toHttpResponse(api, http_version, keep_alive);
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream, response, kUseTuple);
  co_return ec;
}

// Reads from a TlsStream into `parser` until the header (header_only) or the whole
// message is in. Beast's parser is fed directly, as its read algorithms do, but in this
// one coroutine: no composed operation and no hand-off per read.
template <bool isRequest>
asio::awaitable<beast::error_code> readHttp(TlsStream& stream, beast::flat_buffer& buffer,
                                            http::basic_parser<isRequest>& parser, bool header_only) {
  const auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
  while (!done()) {
    if (buffer.size() > 0) {
      beast::error_code ec;
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (!ec && used > 0) continue;
      if (ec && ec != http::error::need_more) co_return ec;
    }
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    auto [ec, n] = co_await stream.readSome(buffer.prepare(size));
    if (ec == asio::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      beast::error_code eof;
      parser.put_eof(eof);  // completes a message that ends with the connection, or partial_message
      co_return eof;
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
  co_return beast::error_code();
}

// Writes a message on a TlsStream: serialized and encrypted whole, then sent with one
// write (small messages make one TLS record, not one per header and body).
template <bool isRequest, class Body, class Fields>
asio::awaitable<beast::error_code> writeHttp(TlsStream& stream, http::message<isRequest, Body, Fields>& message) {
  http::serializer<isRequest, Body, Fields> serializer(message);
  std::string plaintext;
  beast::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      const std::size_t size = beast::buffer_bytes(buffers);
      const std::size_t at = plaintext.size();
      plaintext.resize(at + size);
      asio::buffer_copy(asio::buffer(plaintext.data() + at, size), buffers);
      serializer.consume(size);
    });
  }
  if (ec) co_return ec;
  if (auto encrypt_ec = stream.encrypt(plaintext.data(), plaintext.size())) co_return encrypt_ec;
  co_return co_await stream.send();
}

inline asio::awaitable<beast::error_code> writeApiResponse(TlsStream& stream, const ApiResponse& api,
                                                           unsigned http_version, bool keep_alive,
                                                           std::chrono::milliseconds timeout) {
  auto response = toHttpResponse(api, http_version, keep_alive);
  stream.expires_after(timeout);
  co_return co_await writeHttp(stream, response);
}

// The request as the API sees it: path and query split, header names lower-cased, the
// body moved out. `caller` is the identified party, or null where there is none.
inline ApiRequest toApiRequest(http::request<http::string_body>& request, const Party* caller) {
  ApiRequest api;
  api.method = std::string(request.method_string());
  const std::string_view target = request.target();
  const auto question = target.find('?');
  api.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) api.query = std::string(target.substr(question + 1));
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    api.headers[std::move(name)] = std::string(field.value());
  }
  api.body = std::move(request.body());
  api.caller = caller;
  return api;
}

// Headers a request may carry at most once: a second one would let two parts of a chain
// (a proxy, the gateway) each act on another value.
inline constexpr std::string_view kSingletonHeaders[] = {
    "host",          "content-length",   "content-type", "transfer-encoding",
    "x-doelbinding", "x-transaction-id", "x-ontvanger",  "traceparent"};

// Why a request's header is refused before its body is read (the connection then closes,
// so no byte of an ambiguous body is taken as the next request), or nullopt.
//  - a Transfer-Encoding other than exactly "chunked", or one beside a Content-Length
//    (RFC 9112 6.1: the message framing is ambiguous, the classic smuggling vector);
//  - a header of kSingletonHeaders given twice.
template <class Fields>
std::optional<Problem> framingProblem(const http::header<true, Fields>& header) {
  std::size_t counts[std::size(kSingletonHeaders)] = {};
  for (const auto& field : header) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (std::size_t i = 0; i < std::size(kSingletonHeaders); ++i) {
      if (name != kSingletonHeaders[i]) continue;
      if (++counts[i] > 1) return problems::duplicateHeader(kSingletonHeaders[i]);
    }
  }
  const auto te = header.find(http::field::transfer_encoding);
  if (te != header.end()) {
    if (!beast::iequals(te->value(), "chunked")) {
      return problems::badRequest("Transfer-Encoding must be chunked or absent");
    }
    if (header.find(http::field::content_length) != header.end()) {
      return problems::badRequest("Transfer-Encoding and Content-Length together are refused");
    }
  }
  return std::nullopt;
}

// Accepts connections until the acceptor is closed; each socket gets its own strand.
// `admit` may refuse a socket (it is then closed); `serve` starts its session.
inline asio::awaitable<void> acceptLoop(tcp::acceptor& acceptor, std::string listener, std::function<bool()> admit,
                                        std::function<void(tcp::socket)> serve) {
  for (;;) {
    tcp::socket socket(asio::make_strand(acceptor.get_executor()));
    auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Usually EMFILE: pause briefly instead of spinning on the failing accept.
      logWarn("accept-failed", {{"listener", listener}, {"error", ec.message()}});
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    if (!admit()) {
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      continue;
    }
    serve(std::move(socket));
  }
}

// Completion handler for detached session coroutines: a session must never take the
// process down; an escaped exception is a bug, logged and contained.
inline auto logEscapedException(std::string where) {
  return [where = std::move(where)](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      logError("unexpected-exception", {{"where", where}, {"what", ex.what()}});
    } catch (...) {
      logError("unexpected-exception", {{"where", where}});
    }
  };
}

}  // namespace ketenpoort::http_internal
