#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ketenpoort::testing {

// A TCP port on 127.0.0.1 nobody listens on right now.
std::uint16_t freePort();

// `ketenpoort serve --config CONFIG` as a child process, its output appended to `log`.
pid_t startGateway(const std::filesystem::path& config, const std::filesystem::path& log);

// The end of a gateway's diagnostic log (which never holds a BSN or a body), for a
// failing test's message.
std::string logTail(const std::filesystem::path& log);

// HAProxy (Debian's haproxy) in TCP mode in front of gateway nodes, TLS passed through so
// mTLS and the OIN reach the node; each node checked on its ops listener's /readyz. Runs
// in the foreground as a child process; stopped (SIGKILL) when this goes.
class HaproxyProcess {
 public:
  struct Node {
    std::string name;
    std::uint16_t exchange_port = 0;
    std::uint16_t ops_port = 0;
  };
  // Throws std::runtime_error when haproxy is missing or does not start listening.
  HaproxyProcess(const std::filesystem::path& dir, std::uint16_t port, const std::vector<Node>& nodes);
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace ketenpoort::testing
