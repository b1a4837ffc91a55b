#include "gateway/secrets/secret_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

namespace ketenpoort {

std::string readSecretFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 0077) != 0) {
    ::close(fd);
    throw std::runtime_error(path.string() + " must be readable by its owner only (mode 0600)");
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), "read " + path.string());
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

bool createSecretFile(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw std::system_error(errno, std::generic_category(), "create " + path.string());
  }
  std::size_t offset = 0;
  while (offset < content.size()) {
    const ssize_t n = ::write(fd, content.data() + offset, content.size() - offset);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw std::system_error(err, std::generic_category(), "write " + path.string());
    }
    offset += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  return true;
}

}  // namespace ketenpoort
