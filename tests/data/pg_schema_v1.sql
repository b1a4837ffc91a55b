-- A ketenpoort PostgreSQL database at schema version 1, as gateways before stop 32 created
-- it: PostgresSchemaTest migrates it and compares it with a fresh database.
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
