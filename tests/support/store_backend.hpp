#pragma once
// A store test on either backend (issue 26: every store test runs on both). A test
// parameterised by Backend opens its stores through StoreBackend and reaches behind them,
// as a tool or someone holding the database could, through a raw session: the same SQL
// text on both (gateway/store/sql_session.hpp).

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "gateway/config/gateway_config.hpp"
#include "gateway/store/sql_session.hpp"
#include "tests/support/postgres_database.hpp"

namespace ketenpoort::testing {

enum class Backend { kSqlite, kPostgresql };
void PrintTo(Backend backend, std::ostream* out);
// For INSTANTIATE_TEST_SUITE_P's names: "Sqlite" or "PostgreSql" (CMake files the tests
// whose name holds "Sqlite" under the unit label, the others under postgresql).
std::string backendName(Backend backend);
// The test-name suffix of a parameterised store test: Sqlite, PostgreSql.
struct BackendNamed {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& param_info) const {
    return backendName(param_info.param);
  }
};

class StoreBackend {
 public:
  // PostgreSQL: a fresh database in the test cluster (throws when there is none).
  StoreBackend(Backend backend, std::filesystem::path dir);
  ~StoreBackend();

  Backend backend() const { return backend_; }
  bool postgresql() const { return backend_ == Backend::kPostgresql; }
  const std::filesystem::path& dir() const { return dir_; }
  // SQLite: <dir>/data/ketenpoort.db. PostgreSQL: node `node_id` of the shared database,
  // its keys under <dir>/<node_id>, the subject key copied from node-a (as an operator
  // does).
  GatewayConfig config(const std::string& node_id = "node-a") const;
  const PostgresDatabase& database() const { return *database_; }

  // A connection of its own to the store's database (the store must have created it).
  std::unique_ptr<sql::Session> rawSession() const;
  // Runs statements without parameters on a raw session.
  void execute(const std::string& statements) const;
  // The first column of the first row of a statement without parameters, as an integer.
  std::int64_t count(const std::string& statement) const;

 private:
  Backend backend_;
  std::filesystem::path dir_;
  std::unique_ptr<PostgresDatabase> database_;
};

}  // namespace ketenpoort::testing
