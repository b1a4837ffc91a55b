#include "gateway/sqlite_store/gateway_store.hpp"

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_outbox.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

std::filesystem::path subjectKeyFile(const GatewayConfig& config) {
  return config.storage_path.parent_path() / "subject.key";
}

std::filesystem::path legacyPayloadFile(const GatewayConfig& config) {
  return config.storage_path.parent_path() / "outbox-payloads.db";
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
      registries_(std::make_unique<SqliteRegistryStore>(config.storage_path, referencer_, *log_)),
      outbox_(std::make_unique<SqliteOutboxStore>(config.storage_path, *log_)) {
  const auto legacy = legacyPayloadFile(config);
  if (std::filesystem::exists(legacy)) {
    const std::size_t imported = static_cast<SqliteOutboxStore&>(*outbox_).importLegacyBodies(legacy);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(legacy.string() + suffix);
    logInfo("payloads-imported", {{"bodies", imported}});
  }
}

GatewayStore::~GatewayStore() = default;

ExchangeLog& GatewayStore::log() { return *log_; }

}  // namespace ketenpoort
