#include "gateway/sqlite_store/sqlite_outbox.hpp"

#include "gateway/sqlite_store/sqlite_session.hpp"

namespace ketenpoort {

namespace {

constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kOutboxSchema = R"sql(
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
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  finished_utc TEXT NOT NULL,
  subject_ref TEXT NOT NULL,
  consent_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  koppeling_cbs TEXT NOT NULL,
  lease_node TEXT,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  lease_fence INTEGER NOT NULL DEFAULT 0
);
-- Only entries that still wait are indexed: a delivered or withdrawn entry leaves these
-- partial indexes instead of moving to a region of them that grows forever, and an
-- entry for an endpoint never enters the postbus index (fewer pages per push and per
-- delivery). The former full indexes are dropped.
DROP INDEX IF EXISTS outbox_due;
DROP INDEX IF EXISTS outbox_recipient;
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(next_attempt_ms) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_postbus ON outbox(recipient_party_id, created_utc, transaction_id)
  WHERE state = 'postbus';
CREATE INDEX IF NOT EXISTS outbox_dead_letter ON outbox(finished_utc) WHERE state = 'dead-letter';
CREATE TABLE IF NOT EXISTS outbox_bodies (
  transaction_id TEXT PRIMARY KEY,
  body BLOB NOT NULL
);
)sql";

// Layout 5: the lease columns PostgreSQL's outbox has, so every statement on the outbox is
// written once (gateway/store/sql_outbox.cpp). One node never leases: its entries carry
// its name and fence 0, which every state change it makes names.
constexpr const char* kOutboxToLayout5 =
    "ALTER TABLE outbox ADD COLUMN lease_node TEXT;"
    "ALTER TABLE outbox ADD COLUMN lease_until_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox ADD COLUMN lease_fence INTEGER NOT NULL DEFAULT 0;"
    "UPDATE outbox SET lease_node = 'local';";

}  // namespace

namespace sqlite_outbox {

void createSchema(sql::Session& s) {
  if (!s.run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox' "
             "AND NOT EXISTS (SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'lease_node')")
           .empty()) {
    s.execute(kOutboxToLayout5);
  }
  s.execute(kOutboxSchema);
}

std::size_t importBodies(sql::Session& s, const std::filesystem::path& legacy_file) {
  // Bodies of waiting entries only; the rest were orphans of the old two-file layout.
  s.run("ATTACH DATABASE $1 AS legacy", {std::string_view(legacy_file.string())});
  try {
    const std::size_t imported = sql::inTransaction(s, s.beginWrite(), [&s] {
      return static_cast<std::size_t>(
          s.run("INSERT INTO outbox_bodies (transaction_id, body) SELECT p.transaction_id, p.body "
                "FROM legacy.payloads p JOIN outbox o ON o.transaction_id = p.transaction_id "
                "WHERE o.state IN ('pending', 'postbus') ON CONFLICT (transaction_id) DO NOTHING")
              .affected());
    });
    s.execute("DETACH DATABASE legacy");
    return imported;
  } catch (...) {
    try {
      s.execute("DETACH DATABASE legacy");
    } catch (const std::exception&) {  // never attached
    }
    throw;
  }
}

}  // namespace sqlite_outbox

SqliteOutboxStore::SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer)
    : SqlOutboxStore(SqliteSession::open(database, kBusyTimeoutMs), writer, std::string(sqlite_outbox::kNode),
                     std::chrono::milliseconds(0), writer.timeSource()),
      database_(database) {}

std::size_t SqliteOutboxStore::importLegacyBodies(const std::filesystem::path& legacy_file) {
  const auto session = SqliteSession::open(database_, kBusyTimeoutMs);
  return sqlite_outbox::importBodies(*session, legacy_file);
}

}  // namespace ketenpoort
