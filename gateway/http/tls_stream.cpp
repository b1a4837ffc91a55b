#include "gateway/http/tls_stream.hpp"

#include "gateway/calendar/time_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/err.h>

#include <cstring>
#include <stdexcept>

namespace ketenpoort::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// One TLS record (16 KiB of plaintext and its overhead) fits in one read.
constexpr std::size_t kIncomingCapacity = 16 * 1024 + 512;
// An outgoing buffer larger than this is dropped after sending, a smaller one kept for
// the next answer; an idle connection holds neither (see waitUntilReadable).
constexpr std::size_t kKeptOutgoing = 4096;

}  // namespace

struct TlsStream::Bio {
  static TlsStream& of(BIO* bio) { return *static_cast<TlsStream*>(BIO_get_data(bio)); }

  static int write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
    BIO_clear_retry_flags(bio);
    of(bio).outgoing_.append(data, size);
    *written = size;
    return 1;
  }

  static int read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
    BIO_clear_retry_flags(bio);
    TlsStream& s = of(bio);
    const std::size_t available = s.incoming_end_ - s.incoming_begin_;
    *read = 0;
    if (available == 0) {
      // Nothing yet: OpenSSL asks again once fill() has brought more. At the peer's end
      // of stream, no retry: OpenSSL sees the end.
      if (!s.peer_closed_) BIO_set_retry_read(bio);
      return 0;
    }
    const std::size_t n = std::min(size, available);
    std::memcpy(data, s.incoming_.get() + s.incoming_begin_, n);
    s.incoming_begin_ += n;
    *read = n;
    return 1;
  }

  static long control(BIO* bio, int command, long, void*) {  // NOLINT(google-runtime-int): OpenSSL's type
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;  // written out by the stream itself
      case BIO_CTRL_PENDING: {
        const TlsStream& s = of(bio);
        return static_cast<long>(s.incoming_end_ - s.incoming_begin_);  // NOLINT(google-runtime-int)
      }
      default:
        return 0;  // BIO_CTRL_WPENDING too: nothing waits in the BIO, the stream sends it
    }
  }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static BIO_METHOD* method() {
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ketenpoort-tls-stream");
      if (m == nullptr) return m;
      BIO_meth_set_write_ex(m, &Bio::write);
      BIO_meth_set_read_ex(m, &Bio::read);
      BIO_meth_set_ctrl(m, &Bio::control);
      BIO_meth_set_create(m, &Bio::create);
      return m;
    }();
    return kMethod;
  }
};

TlsStream::TlsStream(tcp::socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), timer_(socket_.get_executor()) {
  attach(context);
}

TlsStream::TlsStream(const executor_type& executor, SSL_CTX* context) : socket_(executor), timer_(executor) {
  attach(context);
}

void TlsStream::attach(SSL_CTX* context) {
  self_ = std::make_shared<TlsStream*>(this);
  ssl_ = SSL_new(context);
  BIO* bio = Bio::method() ? BIO_new(Bio::method()) : nullptr;
  if (ssl_ == nullptr || bio == nullptr) {
    if (bio != nullptr) BIO_free(bio);
    if (ssl_ != nullptr) SSL_free(ssl_);
    throw std::runtime_error("OpenSSL cannot make a TLS session");
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by the session
  // OpenSSL's own record buffers go back while nothing is in them.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  if (socket_.is_open()) {
    beast::error_code ignored;
    socket_.non_blocking(true, ignored);
  }
}

TlsStream::~TlsStream() {
  self_.reset();
  SSL_free(ssl_);
}

void TlsStream::expires_after(std::chrono::steady_clock::duration timeout) {
  deadline_ = systemTime().monotonicNow() + timeout;
}

void TlsStream::cancel() {
  beast::error_code ignored;
  socket_.cancel(ignored);
}

void TlsStream::armDeadline() {
  ++wait_generation_;
  timed_out_ = false;
  if (!deadline_) return;
  timer_.expires_at(*deadline_);
  timer_.async_wait(
      [weak = std::weak_ptr<TlsStream*>(self_), generation = wait_generation_](const beast::error_code& ec) {
        const auto alive = weak.lock();
        if (ec || !alive) return;
        TlsStream& s = **alive;
        if (generation != s.wait_generation_) return;  // that wait is over
        s.timed_out_ = true;
        s.cancel();
      });
}

beast::error_code TlsStream::disarmDeadline(beast::error_code ec) {
  ++wait_generation_;
  if (deadline_) timer_.cancel();
  if (ec == asio::error::operation_aborted && timed_out_) return beast::error::timeout;
  return ec;
}

bool TlsStream::pastDeadline() const { return deadline_ && systemTime().monotonicNow() >= *deadline_; }

asio::awaitable<beast::error_code> TlsStream::waitSocket(tcp::socket::wait_type type) {
  if (pastDeadline()) co_return beast::error::timeout;
  armDeadline();
  auto [ec] = co_await socket_.async_wait(type, kUseTuple);
  co_return disarmDeadline(ec);
}

asio::awaitable<beast::error_code> TlsStream::connect(const tcp::resolver::results_type& endpoints) {
  beast::error_code last = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    if (pastDeadline()) co_return beast::error::timeout;
    beast::error_code ec;
    if (socket_.is_open()) socket_.close(ec);
    armDeadline();
    auto [connect_ec] = co_await socket_.async_connect(entry.endpoint(), kUseTuple);
    ec = disarmDeadline(connect_ec);
    if (!ec) {
      beast::error_code ignored;
      socket_.non_blocking(true, ignored);
      socket_.set_option(tcp::no_delay(true), ignored);
      co_return ec;
    }
    last = ec;
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) break;
  }
  co_return last;
}

beast::error_code TlsStream::failure(int ssl_result) {
  const int error = SSL_get_error(ssl_, ssl_result);
  if (error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;  // the peer's close_notify
  if (error == SSL_ERROR_SYSCALL && peer_closed_) {
    return asio::ssl::error::stream_truncated;  // closed without close_notify
  }
  // SSL_ERROR_SSL and the rest: the reason OpenSSL queued, as Asio reports it (the
  // handshake failure classification reads it).
  const unsigned long reason = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  if (reason != 0) return {static_cast<int>(reason), asio::error::get_ssl_category()};
  return asio::ssl::error::stream_truncated;
}

asio::awaitable<beast::error_code> TlsStream::handshake(asio::ssl::stream_base::handshake_type type) {
  if (type == asio::ssl::stream_base::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  for (;;) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (!outgoing_.empty()) {
      if (auto ec = co_await flush()) co_return ec;
    }
    if (result == 1) {
      releaseIncoming();
      co_return beast::error_code();
    }
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) co_return failure(result);
    if (auto ec = co_await fill()) co_return ec;
  }
}

asio::awaitable<beast::error_code> TlsStream::waitUntilReadable() {
  if (SSL_pending(ssl_) > 0 || incoming_begin_ < incoming_end_ || peer_closed_) {
    co_return beast::error_code();
  }
  releaseIncoming();
  if (outgoing_.capacity() > 0) std::string().swap(outgoing_);
  co_return co_await waitSocket(tcp::socket::wait_read);
}

asio::awaitable<TlsStream::Result> TlsStream::readSome(asio::mutable_buffer buffer) {
  if (buffer.size() == 0) co_return Result{beast::error_code(), 0};
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    const int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
    if (result == 1) {
      // Reading may have produced something to send (a key update's answer).
      if (!outgoing_.empty()) {
        if (auto ec = co_await flush()) co_return Result{ec, 0};
      }
      co_return Result{beast::error_code(), n};
    }
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) co_return Result{failure(result), 0};
    if (!outgoing_.empty()) {
      if (auto ec = co_await flush()) co_return Result{ec, 0};
    }
    if (auto ec = co_await fill()) co_return Result{ec, 0};
  }
}

beast::error_code TlsStream::encrypt(const void* data, std::size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  std::size_t written = 0;
  const int result = SSL_write_ex(ssl_, data, size, &written);
  if (result != 1) return failure(result);
  return {};
}

asio::awaitable<beast::error_code> TlsStream::send() {
  if (outgoing_.empty()) co_return beast::error_code();
  co_return co_await flush();
}

asio::awaitable<beast::error_code> TlsStream::flush() {
  std::size_t sent = 0;
  beast::error_code ec;
  while (sent < outgoing_.size()) {
    const std::size_t n = socket_.write_some(asio::buffer(outgoing_.data() + sent, outgoing_.size() - sent), ec);
    if (!ec) {
      sent += n;
      continue;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) break;
    ec = co_await waitSocket(tcp::socket::wait_write);
    if (ec) break;
  }
  outgoing_.clear();
  if (outgoing_.capacity() > kKeptOutgoing) std::string().swap(outgoing_);
  co_return ec;
}

asio::awaitable<beast::error_code> TlsStream::fill() {
  // OpenSSL asks for more only once it has taken everything.
  incoming_begin_ = 0;
  incoming_end_ = 0;
  if (peer_closed_) co_return beast::error_code();
  for (;;) {
    if (!incoming_) incoming_ = std::make_unique_for_overwrite<char[]>(kIncomingCapacity);
    beast::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(incoming_.get(), kIncomingCapacity), ec);
    if (!ec) {
      incoming_end_ = n;
      co_return ec;
    }
    if (ec == asio::error::eof) {
      peer_closed_ = true;  // OpenSSL sees the end on its next read
      co_return beast::error_code();
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return ec;
    // Nothing there yet: wait without a buffer.
    releaseIncoming();
    if (auto waited = co_await waitSocket(tcp::socket::wait_read)) co_return waited;
  }
}

void TlsStream::releaseIncoming() {
  if (incoming_begin_ < incoming_end_) return;
  incoming_.reset();
  incoming_begin_ = 0;
  incoming_end_ = 0;
}

asio::awaitable<beast::error_code> TlsStream::shutdown() {
  ERR_clear_error();
  const int result = SSL_shutdown(ssl_);
  beast::error_code ec;
  if (!outgoing_.empty()) ec = co_await flush();
  if (result < 0 && !ec) ec = failure(result);
  co_return ec;
}

}  // namespace ketenpoort::http_internal
