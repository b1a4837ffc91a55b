#include "tests/support/postgres_database.hpp"

#include <random>
#include <stdexcept>

#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_schema.hpp"

namespace ketenpoort::testing {

namespace {

// The fixture's cluster (ctest's `postgres` fixture wrote its connection to this file).
std::string envFileValue(const std::string& key) {
  const std::string value = PostgresCluster::envValue(KETENPOORT_PG_ENV_FILE, key);
  if (value.empty()) {
    throw std::runtime_error(std::string("no PostgreSQL cluster for the tests: ") + KETENPOORT_PG_ENV_FILE + " lacks " +
                             key + " (ctest starts it through the `postgres` fixture)");
  }
  return value;
}

std::string withDatabase(std::string dsn, const std::string& name) {
  const auto at = dsn.find("dbname=");
  const auto end = dsn.find(' ', at);
  return dsn.replace(at, end == std::string::npos ? std::string::npos : end - at, "dbname=" + name);
}

}  // namespace

std::string PostgresDatabase::adminDsn() { return envFileValue("KETENPOORT_PG_DSN"); }

PostgresDatabase::PostgresDatabase(bool migrated, const std::string& admin_dsn) : admin_dsn_(admin_dsn) {
  std::random_device random;
  name_ = "kp_test_" + std::to_string(random()) + std::to_string(random());
  pg::Connection admin(admin_dsn_);
  admin.execute("CREATE DATABASE " + name_);
  dsn_ = withDatabase(admin_dsn_, name_);
  if (migrated) {
    pg::Connection c(dsn_);
    pg::migrate(c);
  }
}

PostgresDatabase::~PostgresDatabase() {
  try {
    pg::Connection admin(admin_dsn_);
    admin.execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {  // the cluster is gone already: so is the database
  }
}

}  // namespace ketenpoort::testing
