#include "gateway/pg_store/pg_schema.hpp"

#include "gateway/pg_store/pg_session.hpp"

#include <array>

namespace ketenpoort::pg {

namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Version 1: the store as SQLite keeps it, with a hash chain per node. Text columns hold
// what SQLite's do (dates and timestamps as ISO text: the hash chain covers these exact
// texts); ids across nodes come from `position`, which only the writer holding the
// log's advisory lock assigns, so positions commit in order (audit keyset pages never
// skip a record committed late).
constexpr const char* kVersion1 = R"sql(
CREATE TABLE log_nodes (
  node_id TEXT PRIMARY KEY,
  public_key_pem TEXT NOT NULL,
  registered_utc TEXT NOT NULL
);
CREATE TABLE store_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE exchange_log (
  position BIGINT PRIMARY KEY,
  node_id TEXT NOT NULL REFERENCES log_nodes(node_id),
  seq BIGINT NOT NULL,
  transaction_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  time_utc TEXT NOT NULL,
  flow TEXT NOT NULL,
  sender_oin TEXT NOT NULL,
  recipient_oin TEXT NOT NULL,
  purpose TEXT NOT NULL,
  legal_basis TEXT NOT NULL,
  consent_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  subject_ref TEXT NOT NULL,
  fields_delivered TEXT NOT NULL,
  fields_withheld TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload_sha256 TEXT NOT NULL,
  retention_until TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  previous_hash BYTEA NOT NULL,
  record_hash BYTEA NOT NULL,
  subject_key BIGINT NOT NULL,
  UNIQUE (node_id, seq)
);
CREATE INDEX exchange_log_subject ON exchange_log(subject_key);
CREATE INDEX exchange_log_transaction ON exchange_log(transaction_id);
CREATE INDEX exchange_log_sender ON exchange_log(sender_oin, position);
CREATE INDEX exchange_log_recipient ON exchange_log(recipient_oin, position);
-- The transaction ids that exchanges claimed as theirs: the primary key makes a second
-- claim, from any node, wait for the first one's transaction and then fail.
CREATE TABLE exchange_transactions (
  transaction_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL
);
CREATE TABLE log_checkpoints (
  node_id TEXT NOT NULL REFERENCES log_nodes(node_id),
  seq BIGINT NOT NULL,
  record_hash BYTEA NOT NULL,
  created_utc TEXT NOT NULL,
  previous_digest BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE TABLE log_heads (
  node_id TEXT PRIMARY KEY REFERENCES log_nodes(node_id),
  seq BIGINT NOT NULL,
  record_hash BYTEA NOT NULL,
  created_utc TEXT NOT NULL,
  checkpoint_digest BYTEA NOT NULL,
  signature BYTEA NOT NULL
);
CREATE TABLE koppeling (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject_key BIGINT NOT NULL,
  subject_ref TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT,
  source_transaction TEXT NOT NULL
);
CREATE INDEX koppeling_subject ON koppeling(subject_key);
CREATE TABLE agreements (
  id TEXT PRIMARY KEY,
  party_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  document_ref TEXT NOT NULL
);
CREATE TABLE consents (
  position BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT PRIMARY KEY,
  subject_key BIGINT NOT NULL,
  subject_ref TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient_oin TEXT NOT NULL,
  evidence_ref TEXT NOT NULL,
  granted TEXT NOT NULL,
  expires TEXT,
  withdrawn TEXT
);
CREATE INDEX consents_subject ON consents(subject_key);
CREATE TABLE identity_links (
  bsn_ref TEXT NOT NULL UNIQUE,
  vnummer_ref TEXT NOT NULL UNIQUE,
  linked_utc TEXT NOT NULL,
  source_transaction TEXT NOT NULL
);
CREATE TABLE registry_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);
CREATE TABLE outbox (
  transaction_id TEXT PRIMARY KEY,
  trace_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  purpose TEXT NOT NULL,
  legal_basis TEXT NOT NULL,
  sender_oin TEXT NOT NULL,
  recipient_party_id TEXT NOT NULL,
  recipient_oin TEXT NOT NULL,
  route TEXT NOT NULL,
  state TEXT NOT NULL,
  created_utc TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  finished_utc TEXT NOT NULL,
  subject_ref TEXT NOT NULL,
  consent_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  koppeling_cbs TEXT NOT NULL,
  -- Which node may deliver it until when (Unix ms), and the lease's number: a state
  -- change names the lease it was made under, so a node whose lease has passed to
  -- another node changes nothing (fencing).
  lease_node TEXT,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  lease_fence BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox(next_attempt_ms) WHERE state = 'pending';
CREATE INDEX outbox_postbus ON outbox(recipient_party_id, created_utc, transaction_id) WHERE state = 'postbus';
CREATE INDEX outbox_dead_letter ON outbox(finished_utc) WHERE state = 'dead-letter';
CREATE TABLE outbox_bodies (
  transaction_id TEXT PRIMARY KEY,
  body BYTEA NOT NULL
);
)sql";

// Version 2: every registry change also as a row of its own, numbered by the version it
// raised to, so a node that is behind applies what it missed instead of loading every
// registry anew (each klantprofiel records a koppeling: with several nodes, whole reloads
// took a node's CPU). Holds keyed references, never a BSN.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE registry_changes (
  version BIGINT PRIMARY KEY,
  change TEXT NOT NULL
);
)sql";

// Version 3: purges (ADR 0018). Per node's chain, the runs of records a purge removed
// with the hash before each run and at its end, and the signed purge records, chained.
// And the sender's span id of an exchange (W3C traceparent), hashed only when present.
constexpr const char* kVersion3 = R"sql(
ALTER TABLE exchange_log ADD COLUMN foreign_span_id TEXT NOT NULL DEFAULT '';
CREATE TABLE log_purges (
  node_id TEXT NOT NULL REFERENCES log_nodes(node_id),
  id BIGINT NOT NULL,
  created_utc TEXT NOT NULL,
  as_of TEXT NOT NULL,
  reason TEXT NOT NULL,
  removed BIGINT NOT NULL,
  runs_digest BYTEA NOT NULL,
  previous_digest BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  PRIMARY KEY (node_id, id)
);
CREATE TABLE log_purged_runs (
  node_id TEXT NOT NULL REFERENCES log_nodes(node_id),
  first_seq BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  previous_hash BYTEA NOT NULL,
  last_hash BYTEA NOT NULL,
  purge_id BIGINT NOT NULL,
  PRIMARY KEY (node_id, first_seq)
);
)sql";

// Version 4: the pseudonym keys, one per year a retention ends, wrapped under a key derived
// from the subject key; a destroyed one keeps its row without the key (ADR 0020).
constexpr const char* kVersion4 = R"sql(
CREATE TABLE pseudonym_keys (
  period INTEGER PRIMARY KEY,
  wrapped TEXT NOT NULL,
  created_utc TEXT NOT NULL,
  destroyed_utc TEXT
);
)sql";

// Version 5: at most one open koppeling per reference, by construction (issue 25). Rows
// from before it that a back-dated registration left open beside a later one end where
// the later one begins (every lookup answers as it did), then the index. Registry change rows
// no longer name the exchange that taught them (a purge may remove it).
constexpr const char* kVersion5 = R"sql(
UPDATE koppeling k SET valid_until = (
  SELECT MAX(o.valid_from) FROM koppeling o
  WHERE o.subject_key = k.subject_key AND o.subject_ref = k.subject_ref AND o.valid_until IS NULL)
WHERE k.valid_until IS NULL AND EXISTS (
  SELECT 1 FROM koppeling o
  WHERE o.subject_key = k.subject_key AND o.subject_ref = k.subject_ref AND o.valid_until IS NULL
    AND (o.valid_from > k.valid_from OR (o.valid_from = k.valid_from AND o.id > k.id)));
CREATE UNIQUE INDEX koppeling_one_open ON koppeling(subject_ref) WHERE valid_until IS NULL;
UPDATE registry_changes SET change = (change::jsonb - 'source_transaction')::text
  WHERE change::jsonb ? 'source_transaction';
)sql";

constexpr std::array kMigrations{
    Migration{1, "the store with a hash chain per node", kVersion1},
    Migration{2, "registry changes as rows of their own", kVersion2},
    Migration{3, "purges that keep the log provable; the sender's span id", kVersion3},
    Migration{4, "pseudonym keys per period", kVersion4},
    Migration{5, "at most one open koppeling per person; change rows without transaction ids", kVersion5}};
static_assert(kMigrations.back().version == kSchemaVersion);

// Any constant the migrations share; pg_advisory_xact_lock takes a 64-bit key.
constexpr std::int64_t kMigrationLock = 0x6b6574656e6d6967;  // "ketenmig"

}  // namespace

int schemaVersion(Connection& connection) {
  const sql::Rows exists = connection.run("SELECT to_regclass('ketenpoort_schema') IS NOT NULL");
  if (exists.text(0, 0) != "t") return 0;
  const sql::Rows version = connection.run("SELECT COALESCE(MAX(version), 0) FROM ketenpoort_schema");
  return static_cast<int>(version.integer(0, 0));
}

int migrate(Connection& connection) {
  PgSession session(connection);
  return sql::inTransaction(session, "BEGIN", [&] {
    connection.run("SELECT pg_advisory_xact_lock($1)", {kMigrationLock});
    connection.execute(
        "CREATE TABLE IF NOT EXISTS ketenpoort_schema (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied_utc TEXT NOT NULL)");
    const int found = schemaVersion(connection);
    if (found > kSchemaVersion) {
      throw std::runtime_error("the database has schema version " + std::to_string(found) +
                               ", newer than this gateway's " + std::to_string(kSchemaVersion) +
                               ": run a gateway of that version or newer");
    }
    int applied = 0;
    for (const Migration& m : kMigrations) {
      if (m.version <= found) continue;
      connection.execute(m.sql);
      connection.run(
          "INSERT INTO ketenpoort_schema (version, description, applied_utc) VALUES ($1, $2, "
          "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
          {std::int64_t{m.version}, std::string_view(m.description)});
      ++applied;
    }
    return applied;
  });
}

void requireCurrentSchema(Connection& connection) {
  const int found = schemaVersion(connection);
  if (found == kSchemaVersion) return;
  if (found == 0) {
    throw std::runtime_error("the database holds no ketenpoort schema: run `ketenpoort db migrate --config FILE`");
  }
  if (found < kSchemaVersion) {
    throw std::runtime_error("the database has schema version " + std::to_string(found) + ", this gateway writes " +
                             std::to_string(kSchemaVersion) + ": run `ketenpoort db migrate --config FILE`");
  }
  throw std::runtime_error("the database has schema version " + std::to_string(found) + ", newer than this gateway's " +
                           std::to_string(kSchemaVersion) + ": run a gateway of that version or newer");
}

}  // namespace ketenpoort::pg
