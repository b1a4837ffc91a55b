#include "gateway/sqlite_store/gateway_store.hpp"

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_outbox.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

std::filesystem::path subjectKeyFile(const GatewayConfig& config) {
  return config.storage_path.parent_path() / "subject.key";
}

std::filesystem::path payloadFile(const GatewayConfig& config) {
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
      outbox_(std::make_unique<SqliteOutboxStore>(config.storage_path, *log_)),
      payloads_(std::make_unique<SqlitePayloadStore>(payloadFile(config))) {
  const std::size_t removed = payloads_->sweep([this](const std::string& transaction_id) {
    const auto entry = outbox_->find(transaction_id);
    return entry && (entry->state == DeliveryState::kPending || entry->state == DeliveryState::kPostbus);
  });
  if (removed > 0) logInfo("payloads-swept", {{"removed", removed}});
}

GatewayStore::~GatewayStore() = default;

ExchangeLog& GatewayStore::log() { return *log_; }

}  // namespace ketenpoort
