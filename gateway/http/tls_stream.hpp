#pragma once
// Internal to the http module: TLS over a TCP socket that holds no buffer while idle
// (ADR 0014). Asio's ssl::stream keeps two 17 KiB vectors and a BIO pair with two more
// 17 KiB buffers per connection for as long as it lives, whether a byte moves or not: at
// 1,000 idle connections that is 68 MB of the gateway's memory. Here OpenSSL reads and
// writes through a BIO of our own: ciphertext from the peer sits in a buffer that exists
// only while a read is under way, ciphertext for the peer in one that is written out and
// dropped, and an idle connection waits for readability without any buffer at all.
//
// One read and one write at a time, not both at once (HTTP/1.1 as the gateway speaks it:
// request, then answer). All of a stream's operations run on its socket's executor, a
// strand.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

namespace ketenpoort::http_internal {

class TlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using Result = std::tuple<boost::beast::error_code, std::size_t>;

  // Over an accepted (server) or a new, unconnected (client) socket. Throws
  // std::runtime_error when OpenSSL cannot make the session.
  TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* context);
  TlsStream(const executor_type& executor, SSL_CTX* context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  SSL* native_handle() { return ssl_; }

  // Deadlines as beast::tcp_stream has them: every wait that is still going at the
  // deadline ends with beast::error::timeout.
  void expires_after(std::chrono::steady_clock::duration timeout);
  // Ends the current wait with operation_aborted (drain, eviction).
  void cancel();

  boost::asio::awaitable<boost::beast::error_code> connect(
      const boost::asio::ip::tcp::resolver::results_type& endpoints);
  boost::asio::awaitable<boost::beast::error_code> handshake(boost::asio::ssl::stream_base::handshake_type type);
  // Returns once there is something to read (decrypted bytes waiting, or the socket is
  // readable), without holding a buffer meanwhile: the wait of an idle connection.
  boost::asio::awaitable<boost::beast::error_code> waitUntilReadable();
  // Sends close_notify; does not wait for the peer's (the socket closes next).
  boost::asio::awaitable<boost::beast::error_code> shutdown();

  // Some decrypted bytes into `buffer` (at least one, unless it is empty), waiting for
  // the peer as needed. asio::error::eof: the peer closed with close_notify;
  // ssl::error::stream_truncated: it closed without.
  boost::asio::awaitable<Result> readSome(boost::asio::mutable_buffer buffer);
  // Encrypts `size` bytes into the outgoing buffer at once (OpenSSL never waits for a BIO
  // of ours); send() puts them on the wire. A message is encrypted whole, then sent with
  // one write.
  boost::beast::error_code encrypt(const void* data, std::size_t size);
  boost::asio::awaitable<boost::beast::error_code> send();

  struct Bio;  // internal: OpenSSL's view of the two buffers

 private:
  // More ciphertext from the peer into the incoming buffer (called only when it is empty).
  boost::asio::awaitable<boost::beast::error_code> fill();
  // The outgoing buffer to the socket, then dropped.
  boost::asio::awaitable<boost::beast::error_code> flush();
  // Waits for the socket, bounded by the deadline.
  boost::asio::awaitable<boost::beast::error_code> waitSocket(boost::asio::ip::tcp::socket::wait_type type);
  // Around one wait: the deadline's timer cancels the socket if it passes first.
  void armDeadline();
  boost::beast::error_code disarmDeadline(boost::beast::error_code ec);
  bool pastDeadline() const;
  boost::beast::error_code failure(int ssl_result);
  void attach(SSL_CTX* context);
  void releaseIncoming();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  // The timer's handler may run after the stream is gone (it fired as the wait ended):
  // it holds this only weakly, and a generation tells it whether its wait is still on.
  std::shared_ptr<TlsStream*> self_;
  unsigned wait_generation_ = 0;
  bool timed_out_ = false;
  SSL* ssl_ = nullptr;
  std::string outgoing_;              // ciphertext for the peer
  std::unique_ptr<char[]> incoming_;  // ciphertext from the peer; only while reading
  std::size_t incoming_begin_ = 0;
  std::size_t incoming_end_ = 0;
  bool peer_closed_ = false;  // the peer closed its side of the TCP connection
};

}  // namespace ketenpoort::http_internal
