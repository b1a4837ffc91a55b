#include "tests/support/postgres_database.hpp"

#include <fstream>
#include <random>
#include <stdexcept>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_schema.hpp"

namespace ketenpoort::testing {

namespace {

// KEY='value' lines, as the cluster script writes them.
std::string envFileValue(const std::string& key, const std::string& file = KETENPOORT_PG_ENV_FILE) {
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("no PostgreSQL cluster for the tests: " + file +
                             " is missing (ctest starts it through the `postgres` fixture)");
  }
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
    return value;
  }
  throw std::runtime_error(key + " is not in " + file);
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

PrivatePostgresCluster::PrivatePostgresCluster(const std::string& env_file) : env_file_(env_file) {
  run("start");
  admin_dsn_ = envFileValue("KETENPOORT_PG_DSN", env_file_);
}

PrivatePostgresCluster::~PrivatePostgresCluster() {
  try {
    run("stop");
  } catch (const std::exception&) {  // nothing more to do in a destructor
  }
}

void PrivatePostgresCluster::pause() { run("pause"); }
void PrivatePostgresCluster::resume() { run("resume"); }

void PrivatePostgresCluster::run(const std::string& command) const {
  const std::string line = std::string(KETENPOORT_SOURCE_DIR) + "/gateway/demo/postgres-cluster " + command + " '" +
                           env_file_ + "' > /dev/null";
  if (std::system(line.c_str()) != 0) throw std::runtime_error("gateway/demo/postgres-cluster " + command + " failed");
}

}  // namespace ketenpoort::testing
