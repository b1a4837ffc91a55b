#include "gateway/store/store_schema.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

namespace ketenpoort::store_schema {

namespace {

// Dates and timestamps are ISO text in both stores: the hash chain covers these exact texts.
// Comments stand before a statement, never inside one: SQLite keeps a table's CREATE text
// and edits it when a column is dropped.
constexpr std::string_view kTables = R"sql(
-- The sender's span id (W3C traceparent) is hashed only when present.
CREATE TABLE IF NOT EXISTS exchange_log (
  {log_key},
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
  previous_hash {bytes} NOT NULL,
  record_hash {bytes} NOT NULL,
  subject_key {integer} NOT NULL,
  foreign_span_id TEXT NOT NULL DEFAULT '',
  delivered_into TEXT NOT NULL DEFAULT '',
  {chain_column}{log_unique}
);
CREATE INDEX IF NOT EXISTS exchange_log_subject ON exchange_log(subject_key);
CREATE INDEX IF NOT EXISTS exchange_log_transaction ON exchange_log(transaction_id);
-- Audit searches: an organisation's records as sender and as recipient in the log's order,
-- so keyset pages read only what they return.
CREATE INDEX IF NOT EXISTS exchange_log_sender ON exchange_log(sender_oin{log_order});
CREATE INDEX IF NOT EXISTS exchange_log_recipient ON exchange_log(recipient_oin{log_order});
CREATE TABLE IF NOT EXISTS log_checkpoints (
  {chain_column},
  seq {integer} NOT NULL,
  record_hash {bytes} NOT NULL,
  created_utc TEXT NOT NULL,
  previous_digest {bytes} NOT NULL,
  signature {bytes} NOT NULL,
  PRIMARY KEY (node_id, seq)
);
CREATE TABLE IF NOT EXISTS log_heads (
  {chain_column} PRIMARY KEY,
  seq {integer} NOT NULL,
  record_hash {bytes} NOT NULL,
  created_utc TEXT NOT NULL,
  checkpoint_digest {bytes} NOT NULL,
  signature {bytes} NOT NULL
);
-- What purges removed (ADR 0018): per run of consecutive records the hash before it and
-- at its end, so the chain can be followed across; the signed purge records, chained.
CREATE TABLE IF NOT EXISTS log_purges (
  {chain_column},
  id {integer} NOT NULL,
  created_utc TEXT NOT NULL,
  as_of TEXT NOT NULL,
  reason TEXT NOT NULL,
  removed {integer} NOT NULL,
  runs_digest {bytes} NOT NULL,
  previous_digest {bytes} NOT NULL,
  signature {bytes} NOT NULL,
  PRIMARY KEY (node_id, id)
);
CREATE TABLE IF NOT EXISTS log_purged_runs (
  {chain_column},
  first_seq {integer} NOT NULL,
  last_seq {integer} NOT NULL,
  previous_hash {bytes} NOT NULL,
  last_hash {bytes} NOT NULL,
  purge_id {integer} NOT NULL,
  PRIMARY KEY (node_id, first_seq)
);
-- The pseudonym keys, one per year a retention ends, wrapped under a key derived from the
-- subject key (ADR 0020); a destroyed one keeps its row without the key.
CREATE TABLE IF NOT EXISTS pseudonym_keys (
  period INTEGER PRIMARY KEY,
  wrapped TEXT NOT NULL,
  created_utc TEXT NOT NULL,
  destroyed_utc TEXT
);
CREATE TABLE IF NOT EXISTS koppeling (
  id {numbered_key},
  subject_key {integer} NOT NULL,
  subject_ref TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT,
  source_transaction TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS koppeling_subject ON koppeling(subject_key);
-- At most one open koppeling per reference, by construction (issue 25).
CREATE UNIQUE INDEX IF NOT EXISTS koppeling_one_open ON koppeling(subject_ref) WHERE valid_until IS NULL;
CREATE TABLE IF NOT EXISTS agreements (
  id TEXT PRIMARY KEY,
  party_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  gemeente_cbs TEXT NOT NULL,
  valid_from TEXT NOT NULL,
  valid_until TEXT NOT NULL,
  document_ref TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consents (
  position {numbered_key},
  id TEXT NOT NULL UNIQUE,
  subject_key {integer} NOT NULL,
  subject_ref TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient_oin TEXT NOT NULL,
  evidence_ref TEXT NOT NULL,
  granted TEXT NOT NULL,
  expires TEXT,
  withdrawn TEXT
);
CREATE INDEX IF NOT EXISTS consents_subject ON consents(subject_key);
CREATE TABLE IF NOT EXISTS identity_links (
  bsn_ref TEXT NOT NULL UNIQUE,
  vnummer_ref TEXT NOT NULL UNIQUE,
  linked_utc TEXT NOT NULL,
  source_transaction TEXT NOT NULL
);
-- One row once a registry has changed: no row is version 0.
CREATE TABLE IF NOT EXISTS registry_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version {integer} NOT NULL
);
-- Every registry change as a row of its own, numbered by the version it raised to, so a
-- reader that is behind applies what it missed. Keyed references, never a BSN.
CREATE TABLE IF NOT EXISTS registry_changes (
  version {integer} PRIMARY KEY,
  change TEXT NOT NULL
);
-- An outbox entry's lease: which node may deliver it until when (Unix ms), and the lease's
-- number: a state change names the lease it was made under, so a node whose lease has
-- passed to another node changes nothing (fencing). One SQLite node never leases: fence 0.
CREATE TABLE IF NOT EXISTS outbox (
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
  next_attempt_ms {integer} NOT NULL,
  last_error TEXT NOT NULL,
  finished_utc TEXT NOT NULL,
  subject_ref TEXT NOT NULL,
  consent_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  koppeling_cbs TEXT NOT NULL,
  lease_node TEXT,
  lease_until_ms {integer} NOT NULL DEFAULT 0,
  lease_fence {integer} NOT NULL DEFAULT 0,
  channel_state TEXT NOT NULL DEFAULT ''
);
-- Only entries that still wait are indexed: a delivered or withdrawn entry leaves these
-- partial indexes instead of moving to a region of them that grows forever, and an entry
-- for an endpoint never enters the postbus index.
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(next_attempt_ms) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_postbus ON outbox(recipient_party_id, created_utc, transaction_id)
  WHERE state = 'postbus';
CREATE INDEX IF NOT EXISTS outbox_dead_letter ON outbox(finished_utc) WHERE state = 'dead-letter';
-- Bodies waiting for delivery (ADR 0011), removed once delivered.
CREATE TABLE IF NOT EXISTS outbox_bodies (
  transaction_id TEXT PRIMARY KEY,
  body {bytes} NOT NULL
);
)sql";

}  // namespace

std::string tables(const Dialect& dialect) {
  const std::array<std::pair<std::string_view, std::string_view>, 7> words{{
      {"{integer}", dialect.integer},
      {"{bytes}", dialect.bytes},
      {"{numbered_key}", dialect.numbered_key},
      {"{chain_column}", dialect.chain_column},
      {"{log_key}", dialect.log_key},
      {"{log_unique}", dialect.log_unique},
      {"{log_order}", dialect.log_order},
  }};
  std::string text;
  text.reserve(kTables.size() + 1024);
  std::size_t at = 0;
  while (at < kTables.size()) {
    const std::size_t open = kTables.find('{', at);
    if (open == std::string_view::npos) {
      text.append(kTables.substr(at));
      break;
    }
    text.append(kTables.substr(at, open - at));
    const std::size_t close = kTables.find('}', open);
    const std::string_view token = kTables.substr(open, close + 1 - open);
    bool known = false;
    for (const auto& [name, word] : words) {
      if (name != token) continue;
      text.append(word);
      known = true;
    }
    // A misspelt token is this file's mistake: every test that opens a store finds it.
    if (!known) throw std::logic_error("store_schema: unknown word " + std::string(token));
    at = close + 1;
  }
  return text;
}

}  // namespace ketenpoort::store_schema
