#include "tests/support/postgres_database.hpp"

#include <fstream>
#include <random>
#include <stdexcept>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_schema.hpp"

namespace ketenpoort::testing {

namespace {

// KEY='value' lines, as the cluster script writes them.
std::string envFileValue(const std::string& key) {
  std::ifstream in(KETENPOORT_PG_ENV_FILE);
  if (!in) {
    throw std::runtime_error(std::string("no PostgreSQL cluster for the tests: ") + KETENPOORT_PG_ENV_FILE +
                             " is missing (ctest starts it through the `postgres` fixture)");
  }
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
    return value;
  }
  throw std::runtime_error(key + " is not in " + KETENPOORT_PG_ENV_FILE);
}

std::string withDatabase(std::string dsn, const std::string& name) {
  const auto at = dsn.find("dbname=");
  const auto end = dsn.find(' ', at);
  return dsn.replace(at, end == std::string::npos ? std::string::npos : end - at, "dbname=" + name);
}

}  // namespace

std::string PostgresDatabase::adminDsn() { return envFileValue("KETENPOORT_PG_DSN"); }

PostgresDatabase::PostgresDatabase(bool migrated) {
  std::random_device random;
  name_ = "kp_test_" + std::to_string(random()) + std::to_string(random());
  pg::Connection admin(adminDsn());
  admin.execute("CREATE DATABASE " + name_);
  dsn_ = withDatabase(adminDsn(), name_);
  if (migrated) {
    pg::Connection c(dsn_);
    pg::migrate(c);
  }
}

PostgresDatabase::~PostgresDatabase() {
  try {
    pg::Connection admin(adminDsn());
    admin.execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {  // the cluster is gone already: so is the database
  }
}

}  // namespace ketenpoort::testing
