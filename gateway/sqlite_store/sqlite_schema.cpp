#include "gateway/sqlite_store/sqlite_schema.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/store/store_schema.hpp"

namespace ketenpoort::sqlite_schema {

namespace {

// seq is the exchange log's rowid: each index on it is ordered by seq within one key, so
// an index needs no second column to give keyset pages their order. One chain: "local".
constexpr store_schema::Dialect kSqlite{
    .integer = "INTEGER",
    .bytes = "BLOB",
    .numbered_key = "INTEGER PRIMARY KEY",
    .chain_column = "node_id TEXT NOT NULL DEFAULT 'local'",
    .log_key = "seq INTEGER PRIMARY KEY",
    .log_unique = "",
    .log_order = "",
};

bool hasTable(sql::Session& s, std::string_view table) {
  return !s.run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {table}).empty();
}

bool lacksColumn(sql::Session& s, std::string_view table, std::string_view column) {
  return hasTable(s, table) && s.run("SELECT 1 FROM pragma_table_info($1) WHERE name = $2", {table, column}).empty();
}

// Brings a file of layout 2 to 6 to this layout's tables: renames what has a new shape
// (its rows are copied by the returned statements once the new tables exist) and adds
// the columns that were added.
std::vector<std::string> upgrade(sql::Session& s, std::int64_t found) {
  std::vector<std::string> carry;
  // Layout 3: the sender's span id (hashed only when present: old records keep their hashes).
  if (found == 2) s.execute("ALTER TABLE exchange_log ADD COLUMN foreign_span_id TEXT NOT NULL DEFAULT ''");
  // At most one open koppeling per reference (issue 25). A file from before its index may
  // hold two (a back-dated registration that ended nothing): the later one stays open, the
  // earlier ends where the later begins, so every lookup answers as it did.
  if (hasTable(s, "koppeling") &&
      s.run("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'koppeling_one_open'").empty()) {
    s.execute(R"sql(
UPDATE koppeling SET valid_until = (
  SELECT MAX(o.valid_from) FROM koppeling o
  WHERE o.subject_key = koppeling.subject_key AND o.subject_ref = koppeling.subject_ref AND o.valid_until IS NULL)
WHERE valid_until IS NULL AND EXISTS (
  SELECT 1 FROM koppeling o
  WHERE o.subject_key = koppeling.subject_key AND o.subject_ref = koppeling.subject_ref AND o.valid_until IS NULL
    AND (o.valid_from > koppeling.valid_from OR (o.valid_from = koppeling.valid_from AND o.rowid > koppeling.rowid)));
)sql");
  }
  // Layout 4: koppeling and consents get PostgreSQL's explicit insertion order (`id`,
  // `position`: what was the rowid, kept). Their indexes go with the old tables.
  if (lacksColumn(s, "koppeling", "id")) {
    s.execute(
        "DROP INDEX IF EXISTS koppeling_subject; DROP INDEX IF EXISTS koppeling_one_open;"
        "DROP INDEX IF EXISTS consents_subject;"
        "ALTER TABLE koppeling RENAME TO koppeling_layout3; ALTER TABLE consents RENAME TO consents_layout3");
    carry.emplace_back(
        "INSERT INTO koppeling (id, subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
        "source_transaction) SELECT rowid, subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, "
        "source_transaction FROM koppeling_layout3; DROP TABLE koppeling_layout3;"
        "INSERT INTO consents (position, id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, "
        "granted, expires, withdrawn) SELECT rowid, id, subject_key, subject_ref, purpose, recipient_oin, "
        "evidence_ref, granted, expires, withdrawn FROM consents_layout3; DROP TABLE consents_layout3");
  }
  // Layout 5: the outbox's lease columns; the one node's entries carry its name. The full
  // indexes from before the partial ones go.
  if (lacksColumn(s, "outbox", "lease_node")) {
    s.execute(
        "ALTER TABLE outbox ADD COLUMN lease_node TEXT;"
        "ALTER TABLE outbox ADD COLUMN lease_until_ms INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE outbox ADD COLUMN lease_fence INTEGER NOT NULL DEFAULT 0;"
        "UPDATE outbox SET lease_node = 'local'");
  }
  s.execute("DROP INDEX IF EXISTS outbox_due; DROP INDEX IF EXISTS outbox_recipient");
  // Layout 6: every row of the chain names its chain, as PostgreSQL's nodes do. Adding a
  // column with a default rewrites no row.
  for (const char* table : {"exchange_log", "log_checkpoints", "log_purges", "log_purged_runs"}) {
    if (lacksColumn(s, table, "node_id")) {
      s.execute(std::string("ALTER TABLE ") + table + " ADD COLUMN node_id TEXT NOT NULL DEFAULT 'local'");
    }
  }
  // Layout 7: what a channel that delivers in steps made so far, and the log's record of
  // where a message goes besides an endpoint (ADR 0028).
  if (lacksColumn(s, "outbox", "channel_state")) {
    s.execute("ALTER TABLE outbox ADD COLUMN channel_state TEXT NOT NULL DEFAULT ''");
  }
  if (lacksColumn(s, "exchange_log", "delivered_into")) {
    s.execute("ALTER TABLE exchange_log ADD COLUMN delivered_into TEXT NOT NULL DEFAULT ''");
  }
  if (hasTable(s, "log_head")) {
    carry.emplace_back(
        "INSERT INTO log_heads SELECT 'local', seq, record_hash, created_utc, checkpoint_digest, signature "
        "FROM log_head; DROP TABLE log_head");
  }
  return carry;
}

}  // namespace

void prepare(sql::Session& s) {
  const auto layout = [&s] {
    const std::int64_t found = s.run("PRAGMA user_version").integer(0, 0);
    return hasTable(s, "exchange_log") ? found : std::int64_t{0};  // 0: a new file
  };
  const std::string tables = store_schema::tables(kSqlite);
  if (layout() == kLayout) {
    s.execute(tables);
    return;
  }
  sql::inTransaction(s, s.beginWrite(), [&] {
    const std::int64_t found = layout();  // again, under the lock
    if (found != 0 && (found < 2 || found > kLayout)) {
      throw std::runtime_error("the database has log layout " + std::to_string(found) + ", this gateway writes " +
                               std::to_string(kLayout) + "; verify and archive it, then start a new log");
    }
    const std::vector<std::string> carry =
        found == 0 || found == kLayout ? std::vector<std::string>{} : upgrade(s, found);
    s.execute(tables);
    for (const std::string& statements : carry) s.execute(statements);
    s.execute("PRAGMA user_version=" + std::to_string(kLayout));
  });
}

}  // namespace ketenpoort::sqlite_schema
