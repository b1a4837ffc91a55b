#pragma once

#include <filesystem>
#include <string>

namespace ketenpoort {

// A private PostgreSQL cluster (gateway/demo/postgres-cluster: initdb into a new temporary
// directory, a free port on 127.0.0.1, a generated password) for the cluster demo, the
// tests and the benchmarks; its connection is kept in `env_file`. Started here, stopped
// and removed when this goes. Throws std::runtime_error when it cannot start (Debian's
// postgresql package missing: make deps installs it).
class PostgresCluster {
 public:
  explicit PostgresCluster(const std::filesystem::path& env_file);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // The cluster's admin connection (may create and drop databases).
  const std::string& adminDsn() const { return admin_dsn_; }
  // Where its data, socket and log are (data/postmaster.pid names the server's process).
  const std::filesystem::path& directory() const { return directory_; }
  // Stops the server keeping its data; starts it again on the same port.
  void pause() const;
  void resume() const;

  // One KEY='value' line of an env file the script wrote ("" when it has none).
  static std::string envValue(const std::filesystem::path& env_file, const std::string& key);

 private:
  void script(const char* command) const;

  std::filesystem::path env_file_;
  std::string admin_dsn_;
  std::filesystem::path directory_;
};

}  // namespace ketenpoort
