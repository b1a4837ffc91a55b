#include "tests/support/gateway_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {

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

}  // namespace ketenpoort::testing
