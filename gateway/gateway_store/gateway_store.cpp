#include "gateway/gateway_store/gateway_store.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/mapping/flow_definition.hpp"
#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/pg_store/pg_outbox.hpp"
#include "gateway/pg_store/pg_registry_store.hpp"
#include "gateway/pg_store/pg_schema.hpp"
#include "gateway/pg_store/pg_session.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_outbox.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"
#include "gateway/sqlite_store/sqlite_session.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/sql_pseudonym_keys.hpp"

namespace ketenpoort {

std::filesystem::path subjectKeyFile(const GatewayConfig& config) { return config.keyDirectory() / "subject.key"; }

std::filesystem::path legacyPayloadFile(const GatewayConfig& config) {
  return config.storage_path.parent_path() / "outbox-payloads.db";
}

namespace {

std::filesystem::path createdKeyDirectory(const GatewayConfig& config) {
  std::filesystem::create_directories(config.keyDirectory());
  return subjectKeyFile(config);
}

PgLogOptions pgLogOptionsFor(const GatewayConfig& config) {
  PgLogOptions options;
  options.dsn = config.storage_dsn;
  options.node_id = config.storage_node_id;
  options.signing_key = config.keyDirectory() / "log-signing.key";
  options.checkpoint_every_records = config.checkpoint_every_records;
  options.checkpoint_every = config.checkpoint_every;
  options.lock_timeout = config.storage_busy_timeout;
  options.outbox_lease = config.outbox.lease;
  return options;
}

}  // namespace

GatewayStore::GatewayStore(const GatewayConfig& config, const TimeSource& clock)
    : clock_(clock),
      backend_(config.storage_backend),
      sqlite_path_(config.storage_path),
      pg_dsn_(config.storage_dsn),
      node_id_(config.storage_node_id),
      referencer_(SubjectReferencer::loadOrCreate(createdKeyDirectory(config))) {
  if (config.storage_backend == StorageBackend::kPostgresql) {
    auto log = std::make_unique<PgExchangeLog>(pgLogOptionsFor(config), clock_);
    log->requireSubjectKey(referencer_.fingerprint());
    usePseudonymKeys(std::make_unique<SqlPseudonymKeys>([dsn = config.storage_dsn] { return PgSession::open(dsn); }),
                     *log);
    registries_ = std::make_unique<PgRegistryStore>(config.storage_dsn, referencer_, *log);
    outbox_ = std::make_unique<PgOutboxStore>(config.storage_dsn, *log, config.outbox.lease);
    log_ = std::move(log);
    return;
  }
  auto log = std::make_unique<SqliteExchangeLog>(exchangeLogOptionsFor(config), clock_);
  // Longer than any group commit of the writer: a key is never refused for a busy file.
  constexpr int kKeysBusyTimeoutMs = 10'000;
  usePseudonymKeys(std::make_unique<SqlPseudonymKeys>(
                       [path = config.storage_path] { return SqliteSession::open(path, kKeysBusyTimeoutMs); }),
                   *log);
  registries_ = std::make_unique<SqliteRegistryStore>(config.storage_path, referencer_, *log);
  auto outbox = std::make_unique<SqliteOutboxStore>(config.storage_path, *log);
  log_ = std::move(log);
  const auto legacy = legacyPayloadFile(config);
  if (std::filesystem::exists(legacy)) {
    const std::size_t imported = outbox->importLegacyBodies(legacy);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(legacy.string() + suffix);
    logInfo("payloads-imported", {{"bodies", imported}});
  }
  outbox_ = std::move(outbox);
}

void GatewayStore::usePseudonymKeys(std::unique_ptr<PseudonymKeyStore> keys, ExchangeLog& log) {
  pseudonym_store_ = std::move(keys);
  pseudonyms_ =
      std::make_unique<PseudonymKeyring>(referencer_, *pseudonym_store_, PseudonymKeyring::kReloadAfter, clock_);
  pseudonyms_->prepare(clock_.today());
  log.usePseudonymKeys(pseudonyms_.get());
}

GatewayStore::~GatewayStore() {
  // The registries and the outbox write through the log: they go first.
  outbox_.reset();
  registries_.reset();
  log_.reset();
}

PurgeBatchResult GatewayStore::purgeExpired(const PurgeBatchRequest& request, const std::function<bool()>& stopping) {
  PurgeBatchResult purged = ketenpoort::purgeExpired(*log_, request, stopping);
  const auto as_of = parseIsoDate(request.as_of);
  if (!purged.ok || !purged.done || !as_of) return purged;
  const RegistryStore::Change history = registries_->purgeHistory(*as_of, purged.registry_history_removed);
  if (!history.ok) {
    purged.ok = false;
    purged.error = "the records are purged; the registries' history is not: " + history.error;
    return purged;
  }
  try {
    purged.pseudonym_keys_destroyed = pseudonyms_->destroyExpired(*as_of);
  } catch (const std::exception& e) {
    purged.ok = false;
    purged.error = std::string("the records are purged; the expired pseudonym keys are not destroyed: ") + e.what();
    return purged;
  }
  // The purge extends the chain with a record of its own, so the signed head moves: a head
  // witnessed after it rejects a log restored from before it (issue 25).
  const RegistryHistoryRemoved& history_removed = purged.registry_history_removed;
  if (purged.removed + history_removed.koppelingen + history_removed.consents +
          purged.pseudonym_keys_destroyed.size() ==
      0) {
    return purged;
  }
  ExchangeRecord note;
  note.transaction_id = newUuidV7();
  note.trace_id = newTraceId();
  note.time_utc = clock_.nowRfc3339();
  note.flow = std::string(internal_flows::kPurge);
  note.purpose = "bewaartermijn";
  note.legal_basis = "AVG art. 5 lid 1 sub e: bewaartermijn verstreken voor " + request.as_of;
  note.outcome = ExchangeOutcome::kDelivered;
  note.reason = reasonName(request.reason);
  note.fields_delivered = {"as_of=" + request.as_of, "records_removed=" + std::to_string(purged.removed),
                           "koppelingen_removed=" + std::to_string(history_removed.koppelingen),
                           "consents_removed=" + std::to_string(history_removed.consents)};
  for (int period : purged.pseudonym_keys_destroyed) {
    note.fields_delivered.push_back("pseudonym_key_destroyed=" + std::to_string(period));
  }
  note.retention_until = formatIsoDate(addPeriod(clock_.today(), kRegistryHistoryRetention));
  const AppendResult noted = log_->appendAndWait(std::move(note));
  if (!noted.ok) {
    purged.ok = false;
    purged.error = "the purge is done; its record in the chain is not: " + noted.error;
  }
  return purged;
}

StoreLogCheck GatewayStore::verifyLog() const {
  StoreLogCheck check;
  try {
    if (backend_ == StorageBackend::kPostgresql) {
      const PgLogVerification v = verifyPgLog(pg_dsn_, {{node_id_, log_->publicKeyPem()}}, {});
      check.intact = v.intact;
      check.problem = v.problem;
      for (const auto& node : v.nodes)
        check.chains.push_back({node.node_id, node.verification, node.key_from_database});
      return check;
    }
    ChainCheck chain;
    chain.verification = verifyExchangeLog(sqlite_path_, log_->publicKeyPem());
    check.intact = chain.verification.intact;
    check.chains.push_back(std::move(chain));
  } catch (const std::exception& e) {
    check.intact = false;
    check.problem = std::string("cannot read the log: ") + e.what();
  }
  return check;
}

std::vector<std::pair<std::string, SignedHead>> GatewayStore::signedHeads() const {
  std::vector<std::pair<std::string, SignedHead>> heads;
  if (backend_ == StorageBackend::kPostgresql) {
    for (auto& [node, head] : readPgSignedHeads(pg_dsn_)) heads.emplace_back(node, std::move(head));
  } else if (auto head = readSignedHead(sqlite_path_)) {
    heads.emplace_back("", std::move(*head));
  }
  return heads;
}

int migrateStore(const GatewayConfig& config) {
  if (config.storage_backend != StorageBackend::kPostgresql) {
    throw std::runtime_error("the config names a SQLite store, which needs no migration");
  }
  pg::Connection connection(config.storage_dsn);
  return pg::migrate(connection);
}

}  // namespace ketenpoort
