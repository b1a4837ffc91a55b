#include "tests/support/temp_dir.hpp"
#include <fstream>
#include <sstream>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace ketenpoort::testing {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ketenpoort-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

bool advanceUntil(SimulatedTime& time, std::chrono::milliseconds step, const std::function<bool()>& condition,
                  std::chrono::milliseconds timeout) {
  return waitUntil(
      [&] {
        if (condition()) return true;
        time.advance(step);
        return false;
      },
      timeout);
}

}  // namespace ketenpoort::testing

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ketenpoort::testing {

namespace {
// A connected loopback socket whose reads give up after `timeout`, or -1.
int connectLoopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

bool silentConnectionClosedWithin(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = connectLoopback(port, timeout);
  if (fd < 0) return false;
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, 0);  // 0: closed; <0 with EAGAIN: timed out
  const bool closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  ::close(fd);
  return closed;
}

PlainResponse plainHttpGet(std::uint16_t port, const std::string& path) {
  PlainResponse response;
  const int fd = connectLoopback(port, std::chrono::seconds(5));
  if (fd < 0) return response;
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return response;
  }
  std::string raw;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto split = raw.find("\r\n\r\n");
  if (raw.size() < 12 || split == std::string::npos) return response;
  response.status = static_cast<unsigned>(std::stoi(raw.substr(9, 3)));
  response.head = raw.substr(0, split);
  response.body = raw.substr(split + 4);
  return response;
}

}  // namespace ketenpoort::testing
