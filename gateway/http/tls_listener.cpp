#include <boost/asio/ssl/error.hpp>

#include <optional>

#include "gateway/api/gateway_api.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/http/listeners.hpp"
#include "gateway/http/tls_stream.hpp"
#include "gateway/tls/peer_certificate.hpp"

namespace ketenpoort::http_internal {
namespace {

constexpr std::size_t kFirstReadChunk = 4096;
constexpr std::chrono::seconds kTlsShutdownTimeout{1};

std::string handshakeFailureReason(const beast::error_code& ec, const SSL* ssl) {
  if (ec == beast::error::timeout) return "timeout";
  if (ec.category() == asio::error::get_ssl_category()) {
    return classifyHandshakeFailure(static_cast<unsigned long>(ec.value()), ssl);
  }
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset) {
    return "connection-closed";
  }
  return "other";
}

// The problem for a request that could not be read, or nullopt when the connection is
// simply gone (closed, timed out) and no answer can or should be sent.
std::optional<Problem> readFailureProblem(const beast::error_code& ec, const Limits& limits) {
  if (ec == http::error::body_limit) return problems::payloadTooLarge(limits.max_body_bytes);
  if (ec == http::error::header_limit) return problems::headerTooLarge(limits.max_header_bytes);
  if (ec.category() == http::make_error_code(http::error::bad_target).category() && ec != http::error::end_of_stream &&
      ec != http::error::partial_message) {
    return problems::badRequest(ec.message());
  }
  return std::nullopt;
}

// After refusing a request whose body is still arriving (413, 431, 400), read and drop
// what the client sends for a moment before closing. Closing at once makes the kernel
// answer the client's next bytes with a reset, which can destroy our answer before the
// client has read it (the "lingering close" of other HTTP servers). Bounded in time and
// bytes, so it cannot be used to hold a connection open.
asio::awaitable<void> lingerBeforeClose(TlsStream& stream) {
  constexpr std::size_t kMaxDiscard = std::size_t{4} * 1024 * 1024;
  char scratch[16 * 1024];
  std::size_t discarded = 0;
  stream.expires_after(std::chrono::milliseconds(500));
  while (discarded < kMaxDiscard) {
    auto [ec, n] = co_await stream.readSome(asio::buffer(scratch));
    if (ec) break;
    discarded += n;
  }
}

// Runs an asynchronous route handler and resumes on the calling coroutine's executor.
// The coroutine waits on a timer that the handler's answer cancels: Asio owns the wait's
// completion handler, so nothing of the coroutine outlives its resumption.
asio::awaitable<ApiResponse> runAsyncHandler(const Router::AsyncHandler& handler, ApiRequest request) {
  struct Pending {
    explicit Pending(const asio::any_io_executor& executor)
        : answered(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer answered;
    ApiResponse response;
  };
  auto pending = std::make_shared<Pending>(co_await asio::this_coro::executor);
  const auto executor = pending->answered.get_executor();
  // The handler keeps only a weak reference: its callback may be destroyed on any thread
  // and at any time (the log's writer thread, after the server stopped), and the timer
  // inside must be destroyed where it lives, on the connection's strand (found by ASan).
  handler(std::move(request), [weak = std::weak_ptr<Pending>(pending), executor](ApiResponse response) {
    // Any thread: hand the answer to the connection's strand, where the coroutine waits.
    asio::post(executor, [weak, response = std::move(response)]() mutable {
      if (const auto waiting = weak.lock()) {
        waiting->response = std::move(response);
        waiting->answered.cancel();
      }
    });
  });
  co_await pending->answered.async_wait(kUseTuple);
  co_return std::move(pending->response);
}

// The party a connection's verified certificate names, on the routing (configuration) it
// was last identified on. Identified once per routing: on the first request, and again
// at the first request after a reload replaced the routing.
class PartyOnConnection {
 public:
  PartyOnConnection(std::optional<std::string> serial_number, bool privacy_officers_only, const std::string& listener,
                    const std::string& peer)
      : serial_number_(std::move(serial_number)),
        privacy_officers_only_(privacy_officers_only),
        listener_(listener),
        peer_(peer) {}

  // Identifies the party on `current` unless it was already; returns `current`.
  std::shared_ptr<const Routing> identifyOn(std::shared_ptr<const Routing> current) {
    if (current == identified_on_) return current;
    identified_on_ = current;
    caller_ = nullptr;
    refusal_.reset();
    const auto identity = current->parties.identify(serial_number_);
    if (!identity.ok()) {
      refusal_ = identity.problem();
    } else {
      caller_ = *identity;
      if (privacy_officers_only_ && !auditListenerAdmits(caller_->role)) {
        refusal_ = problems::roleNotAllowed("the " + listener_ + " listener serves privacy officers only");
      }
    }
    if (refusal_) logInfo("party-refused", {{"listener", listener_}, {"peer", peer_}, {"code", refusal_->name()}});
    return current;
  }
  const Party* caller() const { return caller_; }
  const std::optional<Problem>& refusal() const { return refusal_; }

 private:
  const std::optional<std::string> serial_number_;
  const bool privacy_officers_only_;
  const std::string& listener_;
  const std::string& peer_;
  std::shared_ptr<const Routing> identified_on_;
  const Party* caller_ = nullptr;  // in identified_on_'s configuration
  std::optional<Problem> refusal_;
};

}  // namespace

TlsListener::TlsListener(asio::io_context& ioc, ServerState& state, std::string name, const ListenerConfig& config,
                         const ServerTls& tls, bool privacy_officers_only)
    : state_(state),
      name_(std::move(name)),
      acceptor_(openAcceptor(ioc, name_, config)),
      port_(acceptor_.local_endpoint().port()),
      tls_(tls),
      privacy_officers_only_(privacy_officers_only) {}

void TlsListener::start() {
  // Counted at admission (on the acceptor's strand) so a burst of accepts cannot overshoot
  // the limit before the sessions start; the session gives the slot back when it ends.
  auto admit = [this] {
    if (state_.open_tls_connections.fetch_add(1) >= state_.routing()->limits.max_connections) {
      // Every slot taken: a connection that has not authenticated yet makes room; only
      // when all are parties' connections is the new one refused.
      if (auto victim = state_.handshakes.evictOldest()) {
        evict(victim, "max-connections");
        return true;
      }
      state_.open_tls_connections.fetch_sub(1);
      state_.metrics.connections_rejected.inc({name_, "max-connections"});
      return false;
    }
    return true;
  };
  auto serve = [this](tcp::socket socket) {
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket)), logEscapedException(name_));
  };
  asio::co_spawn(acceptor_.get_executor(), acceptLoop(acceptor_, name_, admit, serve),
                 logEscapedException(name_ + " accept"));
}

void TlsListener::evict(const std::shared_ptr<TrackedConnection>& victim, const char* reason) {
  state_.metrics.handshakes_evicted.inc({name_, reason});
  // On the victim's strand, where its handshake runs: only a connection still
  // handshaking is closed (one that just finished is a party's and stays).
  asio::post(victim->executor, [victim] {
    if (victim->stream == nullptr || !victim->handshaking) return;
    victim->evicted = true;
    victim->stream->cancel();
  });
}

void TlsListener::close() {
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

// NOLINTNEXTLINE(readability-function-size,readability-function-cognitive-complexity): older than the gate (issue 26); split it, never grow it
asio::awaitable<void> TlsListener::session(tcp::socket socket) {
  // The limits in force when the connection was accepted hold for it to its end.
  const std::shared_ptr<const Routing> accepted_on = state_.routing();
  const Limits& limits = accepted_on->limits;
  GatewayMetrics& metrics = state_.metrics;
  const std::vector<std::string> listener_label{name_};

  metrics.open_connections.add(listener_label, 1);
  beast::error_code ignored;
  const std::string peer = socket.remote_endpoint(ignored).address().to_string();
  // The context current at accept, held until the connection ends (a reload meanwhile
  // changes only the connections after it).
  const std::shared_ptr<asio::ssl::context> tls = tls_.current();
  TlsStream stream(std::move(socket), tls->native_handle());
  TlsStream& transport = stream;

  auto tracked = std::make_shared<TrackedConnection>();
  tracked->executor = co_await asio::this_coro::executor;
  tracked->stream = &transport;
  state_.connections.add(tracked);
  struct Untrack {
    ServerState& state;
    std::shared_ptr<TrackedConnection> tracked;
    const std::vector<std::string>& label;
    ~Untrack() {
      tracked->stream = nullptr;
      state.connections.remove(tracked);
      state.metrics.open_connections.add(label, -1);
      state.open_tls_connections.fetch_sub(1);
    }
  } untrack{state_, tracked, listener_label};

  // Until the handshake is done the connection is nobody's: fair admission applies.
  tracked->handshaking = true;
  for (const auto& [victim, reason] : state_.handshakes.begin(tracked, peer, limits)) evict(victim, reason);
  metrics.connections_in_handshake.add(listener_label, 1);
  struct HandshakeDone {
    ServerState& state;
    const std::shared_ptr<TrackedConnection>& tracked;
    const std::vector<std::string>& label;
    bool done = false;
    void operator()() {
      if (done) return;
      done = true;
      tracked->handshaking = false;
      state.handshakes.end(tracked);
      state.metrics.connections_in_handshake.add(label, -1);
    }
    ~HandshakeDone() { (*this)(); }
  } handshake_done{state_, tracked, listener_label};
  transport.expires_after(state_.handshakes.underPressure(limits)
                              ? std::min(limits.handshake_timeout, limits.pressure_handshake_timeout)
                              : limits.handshake_timeout);
  const beast::error_code handshake_ec = co_await stream.handshake(asio::ssl::stream_base::server);
  handshake_done();
  if (handshake_ec || tracked->evicted) {
    const std::string reason =
        tracked->evicted ? std::string("evicted") : handshakeFailureReason(handshake_ec, stream.native_handle());
    metrics.tls_handshake_failures.inc({name_, reason});
    logInfo("tls-handshake-failed", {{"listener", name_}, {"peer", peer}, {"reason", reason}});
    co_return;
  }

  // Who the verified certificate names, decided on the current configuration: again at
  // every request after a reload, so a party the configuration no longer holds is refused.
  PartyOnConnection party(peerSubjectSerialNumber(stream.native_handle()), privacy_officers_only_, name_, peer);

  beast::flat_buffer buffer;
  bool first_request = true;
  for (;;) {
    if (buffer.size() == 0) {
      // Between requests the connection is idle: the drain may close it, and the idle
      // timeout (not the header timeout) applies.
      if (state_.draining.load()) break;
      tracked->idle = true;
      transport.expires_after(first_request ? limits.header_timeout : limits.idle_timeout);
      // An idle connection holds no buffer: the request's is given back, and the wait
      // for the next one needs none (TlsStream).
      buffer.shrink_to_fit();
      if (co_await stream.waitUntilReadable()) {
        tracked->idle = false;
        break;
      }
      auto [ec, n] = co_await stream.readSome(buffer.prepare(kFirstReadChunk));
      tracked->idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    first_request = false;
    // From its first byte to its answer (or the connection's end) a request is in
    // progress: a drain lets it finish.
    struct InProgress {
      GaugeFamily& gauge;
      const std::vector<std::string>& label;
      ~InProgress() { gauge.add(label, -1); }
    } in_progress{metrics.requests_in_progress, listener_label};
    metrics.requests_in_progress.add(listener_label, 1);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);

    transport.expires_after(limits.header_timeout);
    const beast::error_code header_ec = co_await readHttp(stream, buffer, parser, /*header_only=*/true);
    const auto started = systemTime().monotonicNow();
    beast::error_code read_ec = header_ec;
    // A request refused before it is handled: ambiguous framing (checked before any byte
    // of the body is read), or a header or body that could not be read within limits.
    std::optional<Problem> unreadable;
    if (!read_ec) unreadable = framingProblem(parser.get().base());
    if (!read_ec && !unreadable && !parser.is_done()) {
      transport.expires_after(limits.body_timeout);
      read_ec = co_await readHttp(stream, buffer, parser, /*header_only=*/false);
    }
    if (read_ec && !unreadable) {
      unreadable = readFailureProblem(read_ec, limits);
      if (!unreadable) {
        if (read_ec == beast::error::timeout) {
          logInfo("request-timeout", {{"listener", name_}, {"peer", peer}, {"phase", header_ec ? "header" : "body"}});
        }
        break;
      }
    }
    if (unreadable) {
      logInfo("request-refused", {{"listener", name_}, {"peer", peer}, {"code", unreadable->name()}});
      metrics.requests.inc({name_, "unmatched", std::to_string(unreadable->status())});
      co_await writeApiResponse(stream, problemResponse(*unreadable, ""), 11, false, limits.header_timeout);
      co_await lingerBeforeClose(stream);
      break;
    }

    auto& request = parser.get();
    // The request is answered on the routing current now, held until it is answered.
    const std::shared_ptr<const Routing> routing = party.identifyOn(state_.routing());
    const Party* caller = party.caller();
    Router::Outcome outcome;
    if (const auto& refusal = party.refusal()) {
      outcome = {problemResponse(*refusal, std::string(request.target().substr(0, request.target().find('?')))),
                 {},
                 "unidentified"};
    } else {
      try {
        ApiRequest api_request = toApiRequest(request, caller);
        outcome = (privacy_officers_only_ ? routing->audit : routing->exchange).dispatch(api_request);
        if (outcome.async) {
          // The handler works elsewhere (a worker pool); the answer comes back to this
          // connection's strand, so the network thread waits for nothing.
          outcome.response = co_await runAsyncHandler(outcome.async, std::move(api_request));
        }
      } catch (const std::exception& e) {
        // A handler bug must cost one request, not the connection's answer or the process.
        logError("handler-failed", {{"listener", name_}, {"what", e.what()}});
        outcome = {problemResponse(problems::internalError(), ""), {}, "unmatched"};
      }
    }
    const bool keep_alive =
        request.keep_alive() && !party.refusal() && !state_.draining.load() && outcome.response.status != 500;
    const auto write_ec =
        co_await writeApiResponse(stream, outcome.response, request.version(), keep_alive, limits.header_timeout);
    const double seconds = std::chrono::duration<double>(systemTime().monotonicNow() - started).count();
    metrics.requests.inc({name_, outcome.route, std::to_string(outcome.response.status)});
    metrics.request_duration.observe(listener_label, seconds);
    if (outcome.response.status >= 400) {
      logInfo("request", {{"listener", name_},
                          {"party", caller ? caller->id : std::string("-")},
                          {"route", outcome.route},
                          {"status", outcome.response.status}});
    }
    if (write_ec || !keep_alive) break;
  }

  transport.expires_after(kTlsShutdownTimeout);
  co_await stream.shutdown();
}

}  // namespace ketenpoort::http_internal
