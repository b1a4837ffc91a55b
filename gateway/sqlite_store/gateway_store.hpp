#pragma once

#include <filesystem>
#include <memory>

#include "gateway/config/gateway_config.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/registry_store.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

class SqliteExchangeLog;

// Where the subject-reference key lives for a config: beside the database.
std::filesystem::path subjectKeyFile(const GatewayConfig& config);
// Where versions before ADR 0011 kept bodies waiting for delivery; imported into the
// database and removed at the next start.
std::filesystem::path legacyPayloadFile(const GatewayConfig& config);

// The store a config names, opened: the one place that picks the implementation, so the
// server and every CLI command open the same thing. Creates the storage directory, keys
// and database on first start; throws std::runtime_error when the store cannot be
// opened. On opening, bodies a former version kept in a separate file are taken into the
// database (those of waiting entries) and the file is removed.
// Members are destroyed in reverse order: the registries before the log they
// write through, the log before the key. Not movable: the registries hold the key.
class GatewayStore {
 public:
  explicit GatewayStore(const GatewayConfig& config);
  ~GatewayStore();
  GatewayStore(const GatewayStore&) = delete;
  GatewayStore& operator=(const GatewayStore&) = delete;

  const SubjectReferencer& referencer() const { return referencer_; }
  ExchangeLog& log();
  RegistryStore& registries() { return *registries_; }
  OutboxStore& outbox() { return *outbox_; }

 private:
  SubjectReferencer referencer_;
  std::unique_ptr<SqliteExchangeLog> log_;  // also the one writer of the outbox's changes
  std::unique_ptr<RegistryStore> registries_;
  std::unique_ptr<OutboxStore> outbox_;
};

}  // namespace ketenpoort
