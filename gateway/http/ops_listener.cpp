#include <boost/asio/connect.hpp>

#include "gateway/api/router.hpp"
#include "gateway/http/document_fetch.hpp"
#include "gateway/http/listeners.hpp"
#include "gateway/http/ops_client.hpp"

namespace ketenpoort {

std::optional<OpsAnswer> getFromOpsListener(const ListenerConfig& ops, const std::string& path,
                                            std::chrono::milliseconds timeout) {
  const HttpsUrl url{ops.address == "0.0.0.0" ? "127.0.0.1" : ops.address, ops.port, path};
  FetchedDocument answer = getOverHttp(url, timeout, std::size_t{1} << 20);
  if (!answer.ok()) return std::nullopt;
  return OpsAnswer{answer.status, std::move(answer.body)};
}

}  // namespace ketenpoort

namespace ketenpoort::http_internal {
namespace {

// The ops listener is for local probes and scrapers; it needs little room.
constexpr std::size_t kOpsMaxConnections = 64;
constexpr std::uint32_t kOpsHeaderLimit = 8 * 1024;
constexpr std::chrono::seconds kOpsTimeout{10};

ApiResponse jsonStatus(unsigned status, std::string_view text) {
  ApiResponse r;
  r.status = status;
  r.body = std::string(R"({"status":")") + std::string(text) + "\"}";
  return r;
}

}  // namespace

OpsListener::OpsListener(asio::io_context& ioc, ServerState& state, const ListenerConfig& config)
    : state_(state), acceptor_(openAcceptor(ioc, "ops", config)), port_(acceptor_.local_endpoint().port()) {}

void OpsListener::start() {
  auto admit = [this] {
    if (open_.load() >= kOpsMaxConnections) {
      state_.metrics.connections_rejected.inc({"ops", "max-connections"});
      return false;
    }
    return true;
  };
  auto serve = [this](tcp::socket socket) {
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket)), logEscapedException("ops"));
  };
  asio::co_spawn(acceptor_.get_executor(), acceptLoop(acceptor_, "ops", admit, serve),
                 logEscapedException("ops accept"));
}

void OpsListener::close() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

const char* OpsListener::readiness() const {
  if (state_.draining.load()) return "draining";
  if (!state_.ready.load()) return "starting";
  // Fail-closed shows here: while the log cannot be written, nothing may be exchanged,
  // so a load balancer should send traffic elsewhere.
  if (state_.exchange_log && !state_.exchange_log->healthy()) return "log-unavailable";
  // Unauthenticated connections are being pushed out to make room: the node is
  // saturated, and a load balancer should prefer another (ketenpoort_handshakes_evicted_total).
  if (state_.handshakes.evictedWithin(std::chrono::seconds(5))) return "saturated";
  return "ready";
}

ApiResponse OpsListener::respond(const std::string& method, const std::string& path) const {
  if (method != "GET") {
    return problemResponse(problems::methodNotAllowed("the ops listener answers GET only"), path);
  }
  if (path == "/healthz") return jsonStatus(200, "ok");
  if (path == "/readyz") {
    const char* answer = readiness();
    return jsonStatus(std::string_view(answer) == "ready" ? 200 : 503, answer);
  }
  if (path == "/reloadz" && state_.reload_status) {
    ApiResponse r;
    r.body = state_.reload_status();
    return r;
  }
  if (path == "/metrics") {
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (state_.exchange_log) {
      state_.metrics.exchange_log_writable.set({}, state_.exchange_log->healthy() ? 1 : 0);
      state_.metrics.exchange_log_records.set({}, static_cast<std::int64_t>(state_.exchange_log->lastSequence()));
    }
    state_.metrics.ready.set({}, std::string_view(readiness()) == "ready" ? 1 : 0);
    r.body = state_.metrics.renderPrometheus();
    return r;
  }
  return problemResponse(problems::notFound("the ops listener serves /healthz, /readyz, /metrics, /reloadz"), path);
}

asio::awaitable<void> OpsListener::session(tcp::socket socket) {
  open_.fetch_add(1);
  struct Release {
    std::atomic<std::size_t>& open;
    ~Release() { open.fetch_sub(1); }
  } release{open_};
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kOpsHeaderLimit);
    parser.body_limit(0);
    stream.expires_after(kOpsTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) break;
    const auto& request = parser.get();
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    const ApiResponse response = respond(std::string(request.method_string()), path);
    const std::string route =
        (path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/reloadz") ? path : "unmatched";
    state_.metrics.requests.inc({"ops", route, std::to_string(response.status)});
    const bool keep_alive = request.keep_alive();
    const auto write_ec = co_await writeApiResponse(stream, response, request.version(), keep_alive, kOpsTimeout);
    if (write_ec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace ketenpoort::http_internal
