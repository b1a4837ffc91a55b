#include "gateway/pg_store/pg_schema.hpp"

#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/store_schema.hpp"

#include <array>

namespace ketenpoort::pg {

namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// A fresh database: what only several nodes need, then the tables both stores hold
// (gateway/store/store_schema.cpp). Ids across nodes come from `position`, which only the
// writer holding the log's advisory lock assigns, so positions commit in order (audit
// keyset pages never skip a record committed late).
constexpr const char* kNodeTables = R"sql(
CREATE TABLE log_nodes (
  node_id TEXT PRIMARY KEY,
  public_key_pem TEXT NOT NULL,
  registered_utc TEXT NOT NULL
);
CREATE TABLE store_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- The transaction ids that exchanges claimed as theirs: the primary key makes a second
-- claim, from any node, wait for the first one's transaction and then fail.
CREATE TABLE exchange_transactions (
  transaction_id TEXT PRIMARY KEY,
  node_id TEXT NOT NULL
);
)sql";

constexpr store_schema::Dialect kPostgres{
    .integer = "BIGINT",
    .bytes = "BYTEA",
    .numbered_key = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    .chain_column = "node_id TEXT NOT NULL REFERENCES log_nodes(node_id)",
    .log_key = "position BIGINT PRIMARY KEY,\n  seq BIGINT NOT NULL",
    .log_unique = ",\n  UNIQUE (node_id, seq)",
    .log_order = ", position",
};

// The upgrades of a database made by an older gateway, each applied in one transaction.
// (Version 1 created the tables; tests/data/pg_schema_v1.sql keeps it.)
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

// Version 6: what a channel that delivers in steps (a case system) made so far, per outbox
// entry, and the log's record of where a message goes besides an endpoint (ADR 0028).
constexpr const char* kVersion6 = R"sql(
ALTER TABLE outbox ADD COLUMN channel_state TEXT NOT NULL DEFAULT '';
ALTER TABLE exchange_log ADD COLUMN delivered_into TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::array kMigrations{
    Migration{2, "registry changes as rows of their own", kVersion2},
    Migration{3, "purges that keep the log provable; the sender's span id", kVersion3},
    Migration{4, "pseudonym keys per period", kVersion4},
    Migration{5, "at most one open koppeling per person; change rows without transaction ids", kVersion5},
    Migration{6, "the steps a case system delivery made; where the log says a message goes", kVersion6}};
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
    const auto recordVersion = [&connection](int version, std::string_view description) {
      connection.run(
          "INSERT INTO ketenpoort_schema (version, description, applied_utc) VALUES ($1, $2, "
          "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
          {std::int64_t{version}, description});
    };
    if (found == 0) {
      connection.execute(std::string(kNodeTables) + store_schema::tables(kPostgres));
      recordVersion(kSchemaVersion, "the store as this gateway writes it");
      return kSchemaVersion;
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= found) continue;
      connection.execute(m.sql);
      recordVersion(m.version, m.description);
    }
    return kSchemaVersion - found;
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
