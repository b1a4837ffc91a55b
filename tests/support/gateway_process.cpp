#include "tests/support/gateway_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!bound) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(address.sin_port);
}

pid_t startGateway(const std::filesystem::path& config, const std::filesystem::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(KETENPOORT_BINARY, KETENPOORT_BINARY, "serve", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

std::string logTail(const std::filesystem::path& log) {
  const std::string text = readFile(log);
  return text.size() > 6000 ? text.substr(text.size() - 6000) : text;
}

namespace {
bool accepting(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}
}  // namespace

HaproxyProcess::HaproxyProcess(const std::filesystem::path& dir, std::uint16_t port, const std::vector<Node>& nodes)
    : port_(port) {
  const auto config = dir / "haproxy.cfg";
  {
    std::ofstream out(config);
    // TCP mode: the TLS handshake, the client's certificate and so its OIN go through to
    // the node untouched. A node is taken out when /readyz on its ops port fails (it is
    // starting, draining, or cannot write its log) and after a connection to it fails.
    out << "global\n  maxconn 2000\n"
        << "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n"
        << "  retries 2\n  option redispatch\n"
        << "frontend exchange\n  bind 127.0.0.1:" << port << "\n  default_backend nodes\n"
        << "backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n"
        << "  default-server inter 200ms fall 1 rise 2 on-marked-down shutdown-sessions\n";
    for (const Node& n : nodes) {
      out << "  server " << n.name << " 127.0.0.1:" << n.exchange_port << " check port " << n.ops_port << "\n";
    }
  }
  if (::access("/usr/sbin/haproxy", X_OK) != 0) {
    throw std::runtime_error("haproxy is not installed (Debian package haproxy; make deps installs it)");
  }
  const auto log = dir / "haproxy.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl("/usr/sbin/haproxy", "haproxy", "-db", "-f", config.c_str(), nullptr);
    ::_exit(127);
  }
  if (!waitUntil([&] { return accepting(port_); }, std::chrono::seconds(10))) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("haproxy did not start: " + readFile(log));
  }
}

HaproxyProcess::~HaproxyProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

}  // namespace ketenpoort::testing
