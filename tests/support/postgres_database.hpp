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

}  // namespace ketenpoort::testing
