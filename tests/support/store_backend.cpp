#include "tests/support/store_backend.hpp"

#include <sqlite3.h>

#include <utility>

#include "gateway/pg_store/pg_session.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort::testing {

void PrintTo(Backend backend, std::ostream* out) { *out << backendName(backend); }

std::string backendName(Backend backend) { return backend == Backend::kSqlite ? "Sqlite" : "PostgreSql"; }

namespace {

// A session and the connection it runs on, owned together.
template <typename Connection, typename Inner>
class OwnedSession final : public sql::Session {
 public:
  explicit OwnedSession(Connection connection) : connection_(std::move(connection)), session_(connection_.get()) {}
  sql::Dialect dialect() const override { return session_.dialect(); }
  void execute(std::string_view statements) override { session_.execute(statements); }

 protected:
  sql::Rows runStatement(std::string_view statement, std::span<const sql::Value> params) override {
    return session_.run(statement, params);
  }

 private:
  Connection connection_;
  Inner session_;
};

struct SqliteConnection {
  explicit SqliteConnection(const std::filesystem::path& file)
      : db(store_internal::openDatabase(file, SQLITE_OPEN_READWRITE, 5000)) {}
  SqliteConnection(SqliteConnection&& other) noexcept : db(std::exchange(other.db, nullptr)) {}
  ~SqliteConnection() { store_internal::closeDatabase(db); }
  sqlite3* get() const { return db; }
  sqlite3* db;
};

struct PgConnection {
  explicit PgConnection(const std::string& dsn) : connection(std::make_unique<pg::Connection>(dsn)) {}
  pg::Connection& get() const { return *connection; }
  std::unique_ptr<pg::Connection> connection;
};

}  // namespace

StoreBackend::StoreBackend(Backend backend, std::filesystem::path dir) : backend_(backend), dir_(std::move(dir)) {
  if (backend_ == Backend::kPostgresql) database_ = std::make_unique<PostgresDatabase>();
}

StoreBackend::~StoreBackend() = default;

GatewayConfig StoreBackend::config(const std::string& node_id) const {
  GatewayConfig config;
  config.checkpoint_every_records = 5;
  if (!database_) {
    config.storage_path = dir_ / "data" / "ketenpoort.db";
    return config;
  }
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = database_->dsn();
  config.storage_node_id = node_id;
  config.storage_key_dir = dir_ / node_id;
  const auto first_key = dir_ / "node-a" / "subject.key";
  if (node_id != "node-a" && std::filesystem::exists(first_key)) {
    std::filesystem::create_directories(config.storage_key_dir);
    std::filesystem::copy_file(first_key, config.storage_key_dir / "subject.key",
                               std::filesystem::copy_options::overwrite_existing);
  }
  return config;
}

std::unique_ptr<sql::Session> StoreBackend::rawSession() const {
  if (database_) return std::make_unique<OwnedSession<PgConnection, PgSession>>(PgConnection(database_->dsn()));
  return std::make_unique<OwnedSession<SqliteConnection, SqliteSession>>(
      SqliteConnection(dir_ / "data" / "ketenpoort.db"));
}

void StoreBackend::execute(const std::string& statements) const { rawSession()->execute(statements); }

std::int64_t StoreBackend::count(const std::string& statement) const {
  return rawSession()->run(statement).integer(0, 0);
}

}  // namespace ketenpoort::testing
