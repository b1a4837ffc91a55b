#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "gateway/calendar/time_source.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/store/chain_verifier.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/pseudonym_keys.hpp"
#include "gateway/store/registry_store.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

// Where the subject-reference key lives for a config: in its key directory. Every node
// of a PostgreSQL store must hold the same key (the database keeps its fingerprint and
// refuses a node with another).
std::filesystem::path subjectKeyFile(const GatewayConfig& config);
// Where versions before ADR 0011 kept bodies waiting for delivery (SQLite only); imported
// into the database and removed at the next start.
std::filesystem::path legacyPayloadFile(const GatewayConfig& config);

// The store a config names, opened: the one place that picks the implementation (SQLite,
// or PostgreSQL for several nodes), so the server and every CLI command open the same
// thing. Creates the key directory, keys and (SQLite) database on first start; throws
// std::runtime_error when the store cannot be opened (for PostgreSQL also when its schema
// is not this gateway's: `ketenpoort db migrate`).
// Members are destroyed in reverse order: the registries before the log they
// write through, the log before the key. Not movable: the registries hold the key.
// The log verified as `ketenpoort log verify` does, from inside the gateway: one chain
// (SQLite) or every node's (PostgreSQL; this node's with its own key, the others' with the
// keys the database registers, said per chain).
struct ChainCheck {
  std::string node;  // "" for SQLite's one chain
  LogVerification verification;
  bool key_from_database = false;
};
struct StoreLogCheck {
  bool intact = false;
  std::vector<ChainCheck> chains;
  std::string problem;  // beyond one chain, when !intact
};

class GatewayStore {
 public:
  // `clock`: the one source of time the store stamps its records, heads, checkpoints,
  // registry changes and outbox states with (issue 26).
  explicit GatewayStore(const GatewayConfig& config, const TimeSource& clock = systemTime());
  ~GatewayStore();
  GatewayStore(const GatewayStore&) = delete;
  GatewayStore& operator=(const GatewayStore&) = delete;

  const SubjectReferencer& referencer() const { return referencer_; }
  ExchangeLog& log() { return *log_; }
  RegistryStore& registries() { return *registries_; }
  OutboxStore& outbox() { return *outbox_; }
  // The keys that make the log's subject references expire with their period (ADR 0020).
  PseudonymKeyring& pseudonymKeys() { return *pseudonyms_; }

  // The purge (ADR 0018, 0020): the log's records whose retention ended before
  // `request.as_of`, window by window (purgeExpired); once they are done, the registries'
  // koppelingen and consents that ended more than kRegistryHistoryRetention before it;
  // then the pseudonym keys of the years before its year. `stopping` as purgeExpired.
  PurgeBatchResult purgeExpired(const PurgeBatchRequest& request, const std::function<bool()>& stopping = {});

  // Reads the whole log: seconds for millions of records. Never throws: a store that
  // cannot be read is reported not intact.
  StoreLogCheck verifyLog() const;
  // Every chain's current signed head (node id, "" for SQLite's; the head), for a witness
  // to keep. Throws std::runtime_error when the store cannot be read.
  std::vector<std::pair<std::string, SignedHead>> signedHeads() const;

 private:
  void usePseudonymKeys(std::unique_ptr<PseudonymKeyStore> keys, ExchangeLog& log);

  const TimeSource& clock_;

  StorageBackend backend_;
  std::filesystem::path sqlite_path_;
  std::string pg_dsn_;
  std::string node_id_;
  SubjectReferencer referencer_;
  // Before the log, which files references with them: destroyed after it.
  std::unique_ptr<PseudonymKeyStore> pseudonym_store_;
  std::unique_ptr<PseudonymKeyring> pseudonyms_;
  std::unique_ptr<ExchangeLog> log_;  // also the one writer of the outbox's changes
  std::unique_ptr<RegistryStore> registries_;
  std::unique_ptr<OutboxStore> outbox_;
};

// Brings a PostgreSQL store's schema to this gateway's version; returns the migrations
// applied. Throws when the config names no PostgreSQL store or the database is newer.
int migrateStore(const GatewayConfig& config);

}  // namespace ketenpoort
