#pragma once

#include <string>

namespace ketenpoort::testing {

// A fresh database in the throwaway PostgreSQL cluster `make test` starts
// (gateway/demo/postgres-cluster; its connection in the file KETENPOORT_PG_ENV_FILE
// names), migrated to the current schema unless asked not to, dropped with everything in
// it at the end. Throws when there is no cluster: a test that needs PostgreSQL fails
// rather than passing without it.
class PostgresDatabase {
 public:
  explicit PostgresDatabase(bool migrated = true, const std::string& admin_dsn = adminDsn());
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return name_; }
  // The cluster's admin connection (for tests that look past the store's interfaces).
  static std::string adminDsn();

 private:
  std::string admin_dsn_;
  std::string name_;
  std::string dsn_;
};

// A cluster of a test's own (gateway/demo/postgres-cluster), for a test that stops the
// server under a running store: pause() stops it keeping its data, resume() starts it on
// the same port. Stopped and removed when this goes.
class PrivatePostgresCluster {
 public:
  explicit PrivatePostgresCluster(const std::string& env_file);
  ~PrivatePostgresCluster();
  PrivatePostgresCluster(const PrivatePostgresCluster&) = delete;
  PrivatePostgresCluster& operator=(const PrivatePostgresCluster&) = delete;

  const std::string& adminDsn() const { return admin_dsn_; }
  void pause();
  void resume();

 private:
  void run(const std::string& command) const;
  std::string env_file_;
  std::string admin_dsn_;
};

}  // namespace ketenpoort::testing
