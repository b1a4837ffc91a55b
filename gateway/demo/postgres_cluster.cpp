#include "gateway/demo/postgres_cluster.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "gateway/demo/demo_environment.hpp"

namespace ketenpoort {

std::string PostgresCluster::envValue(const std::filesystem::path& env_file, const std::string& key) {
  std::ifstream in(env_file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + "='", 0) == 0 && line.size() >= key.size() + 3 && line.back() == '\'') {
      return line.substr(key.size() + 2, line.size() - key.size() - 3);
    }
  }
  return "";
}

PostgresCluster::PostgresCluster(const std::filesystem::path& env_file)
    : env_file_(std::filesystem::absolute(env_file)) {
  script("start");
  admin_dsn_ = envValue(env_file_, "KETENPOORT_PG_DSN");
  directory_ = envValue(env_file_, "KETENPOORT_PG_DIR");
  if (admin_dsn_.empty()) throw std::runtime_error("PostgreSQL started without a connection string");
}

PostgresCluster::~PostgresCluster() {
  try {
    script("stop");
  } catch (const std::exception&) {  // the script reports what went wrong itself
  }
}

void PostgresCluster::pause() const { script("pause"); }
void PostgresCluster::resume() const { script("resume"); }

void PostgresCluster::script(const char* command) const {
  const std::string path = (shippedMappingsDir().parent_path() / "gateway/demo/postgres-cluster").string();
  const std::string env = env_file_.string();
  const std::string log = env + ".log";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(path.c_str(), path.c_str(), command, env.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(std::string("postgres-cluster ") + command + " failed (see " + log +
                             "; Debian package postgresql: make deps)");
  }
}

}  // namespace ketenpoort
