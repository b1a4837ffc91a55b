#include "gateway/sqlite_store/gateway_store.hpp"

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"

namespace ketenpoort {

std::filesystem::path subjectKeyFile(const GatewayConfig& config) {
  return config.storage_path.parent_path() / "subject.key";
}

namespace {
std::filesystem::path createdStorageDirectory(const GatewayConfig& config) {
  std::filesystem::create_directories(config.storage_path.parent_path());
  return subjectKeyFile(config);
}
}  // namespace

GatewayStore::GatewayStore(const GatewayConfig& config)
    : referencer_(SubjectReferencer::loadOrCreate(createdStorageDirectory(config))),
      log_(std::make_unique<SqliteExchangeLog>(exchangeLogOptionsFor(config))),
      registries_(std::make_unique<SqliteRegistryStore>(config.storage_path, referencer_, *log_)) {}

}  // namespace ketenpoort
