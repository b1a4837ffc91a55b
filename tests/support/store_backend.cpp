#include "tests/support/store_backend.hpp"

#include "gateway/pg_store/pg_session.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"

namespace ketenpoort::testing {

void PrintTo(Backend backend, std::ostream* out) { *out << backendName(backend); }

std::string backendName(Backend backend) { return backend == Backend::kSqlite ? "Sqlite" : "PostgreSql"; }

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
  if (database_) return PgSession::open(database_->dsn());
  return SqliteSession::open(dir_ / "data" / "ketenpoort.db", 5000);
}

void StoreBackend::execute(const std::string& statements) const { rawSession()->execute(statements); }

std::int64_t StoreBackend::count(const std::string& statement) const {
  return rawSession()->run(statement).integer(0, 0);
}

}  // namespace ketenpoort::testing
