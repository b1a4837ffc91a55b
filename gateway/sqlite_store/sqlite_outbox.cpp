#include "gateway/sqlite_store/sqlite_outbox.hpp"

#include <algorithm>
#include <future>
#include <memory>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::exec;
using store_internal::closeDatabase;
using store_internal::openDatabase;
using store_internal::SqliteError;
using store_internal::Statement;

namespace {

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
  koppeling_cbs TEXT NOT NULL
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

constexpr int kReadWrite = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
constexpr int kBusyTimeoutMs = 5000;

// An entry finished (delivered, acknowledged, given up, withdrawn): its body goes. When a
// purge removed its exchange's record while it waited, the row goes too: nothing may keep
// naming a purged exchange (issue 25).
void eraseBody(sqlite3* db, const std::string& transaction_id) {
  Statement erase(db, "DELETE FROM outbox_bodies WHERE transaction_id = ?1");
  erase.bindText(1, transaction_id);
  erase.step();
  Statement orphan(db, "DELETE FROM outbox WHERE transaction_id = ?1 AND state NOT IN ('pending', 'postbus') AND "
                       "NOT EXISTS (SELECT 1 FROM exchange_log WHERE transaction_id = ?1)");
  orphan.bindText(1, transaction_id);
  orphan.step();
}

}  // namespace

namespace sqlite_outbox {

void createSchema(sqlite3* db) { exec(db, kOutboxSchema); }

void enqueue(sqlite3* db, const OutboxEntry& e, std::string_view body) {
  Statement insert(db,
                   "INSERT INTO outbox (transaction_id, trace_id, flow, purpose, legal_basis, "
                   "sender_oin, recipient_party_id, recipient_oin, route, state, created_utc, "
                   "attempts, next_attempt_ms, last_error, finished_utc, subject_ref, consent_id, "
                   "agreement_id, koppeling_cbs) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, '', '', ?13, ?14, ?15, ?16) "
                   "ON CONFLICT(transaction_id) DO NOTHING");
  insert.bindText(1, e.transaction_id);
  insert.bindText(2, e.trace_id);
  insert.bindText(3, e.flow);
  insert.bindText(4, e.purpose);
  insert.bindText(5, e.legal_basis);
  insert.bindText(6, e.sender_oin);
  insert.bindText(7, e.recipient_party_id);
  insert.bindText(8, e.recipient_oin);
  insert.bindText(9, toString(e.route));
  insert.bindText(10, toString(e.route == DeliveryRoute::kPostbus ? DeliveryState::kPostbus
                                                                   : DeliveryState::kPending));
  insert.bindText(11, e.created_utc);
  insert.bindInt(12, e.next_attempt_ms);
  insert.bindText(13, e.subject_ref);
  insert.bindText(14, e.consent_id);
  insert.bindText(15, e.agreement_id);
  insert.bindText(16, e.koppeling_cbs);
  insert.step();
  if (sqlite3_changes(db) != 1) {
    throw std::runtime_error("transaction " + e.transaction_id + " is queued already");
  }
  // Never overwrites: a body belongs to the exchange that wrote it first.
  Statement keep(db, "INSERT INTO outbox_bodies (transaction_id, body) VALUES (?1, ?2) "
                     "ON CONFLICT(transaction_id) DO NOTHING");
  keep.bindText(1, e.transaction_id);
  keep.bindBlob(2, body);
  keep.step();
  if (sqlite3_changes(db) != 1) {
    throw std::runtime_error("a body is kept under transaction " + e.transaction_id + " already");
  }
}

void withdraw(sqlite3* db, const std::string& transaction_id, const std::string& reason) {
  Statement update(db, "UPDATE outbox SET state = 'withdrawn', last_error = ?2, finished_utc = ?3 "
                       "WHERE transaction_id = ?1 AND state IN ('pending', 'postbus')");
  update.bindText(1, transaction_id);
  update.bindText(2, reason);
  update.bindText(3, utcNowRfc3339());
  update.step();
  if (sqlite3_changes(db) != 1) {
    throw std::runtime_error("transaction " + transaction_id + " is no longer waiting");
  }
  eraseBody(db, transaction_id);
}

std::size_t importBodies(sqlite3* db, const std::filesystem::path& legacy_file) {
  // Bodies of waiting entries only; the rest were orphans of the old two-file layout.
  Statement attach(db, "ATTACH DATABASE ?1 AS legacy");
  attach.bindText(1, legacy_file.string());
  attach.step();
  std::size_t imported = 0;
  try {
    exec(db, "BEGIN IMMEDIATE");
    exec(db, "INSERT INTO outbox_bodies (transaction_id, body) SELECT p.transaction_id, p.body "
             "FROM legacy.payloads p JOIN outbox o ON o.transaction_id = p.transaction_id "
             "WHERE o.state IN ('pending', 'postbus') "
             "ON CONFLICT(transaction_id) DO NOTHING");
    imported = static_cast<std::size_t>(sqlite3_changes(db));
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "DETACH DATABASE legacy", nullptr, nullptr, nullptr);
    throw;
  }
  exec(db, "DETACH DATABASE legacy");
  return imported;
}

}  // namespace sqlite_outbox

SqliteOutboxStore::SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer)
    : writer_(writer), db_(openDatabase(database, kReadWrite | SQLITE_OPEN_CREATE, kBusyTimeoutMs)) {
  try {
    exec(db_, "PRAGMA journal_mode=WAL");
    sqlite_outbox::createSchema(db_);
  } catch (const SqliteError& e) {
    closeDatabase(db_);
    throw std::runtime_error(std::string("cannot create the outbox: ") + e.what());
  }
}

SqliteOutboxStore::~SqliteOutboxStore() { closeDatabase(db_); }

std::vector<OutboxEntry> SqliteOutboxStore::select(const std::string& where,
                                                   const std::vector<std::string>& args) {
  std::vector<OutboxEntry> out;
  Statement q(db_, selectOutboxColumns() + where);
  for (std::size_t i = 0; i < args.size(); ++i) q.bindText(static_cast<int>(i + 1), args[i]);
  std::array<std::string_view, kOutboxColumns.size()> columns;
  while (q.step()) {
    for (std::size_t c = 0; c < columns.size(); ++c) columns[c] = q.text(static_cast<int>(c));
    out.push_back(outboxEntryFromColumnTexts(columns));
  }
  return out;
}

std::vector<OutboxEntry> SqliteOutboxStore::due(std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return select("WHERE state = 'pending' AND next_attempt_ms <= CAST(?1 AS INTEGER) "
                "ORDER BY next_attempt_ms LIMIT " + std::to_string(limit),
                {std::to_string(now_ms)});
}

void SqliteOutboxStore::recordFailure(const OutboxEntry& entry, const std::string& error,
                                      std::optional<std::int64_t> next_attempt_ms, Done done) {
  const std::string finished = utcNowRfc3339();
  const std::string& transaction_id = entry.transaction_id;
  writer_.write(
      [=](sqlite3* db) {
        Statement update(db, next_attempt_ms
                                 ? "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, "
                                   "next_attempt_ms = ?3 WHERE transaction_id = ?1 AND state = 'pending'"
                                 : "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, "
                                   "state = 'dead-letter', finished_utc = ?4 "
                                   "WHERE transaction_id = ?1 AND state = 'pending'");
        update.bindText(1, transaction_id);
        update.bindText(2, error);
        if (next_attempt_ms) {
          update.bindInt(3, *next_attempt_ms);
        } else {
          update.bindText(4, finished);
        }
        update.step();
        if (!next_attempt_ms && sqlite3_changes(db) == 1) eraseBody(db, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); });
}

void SqliteOutboxStore::markDelivered(const OutboxEntry& entry, Done done) {
  writer_.write(
      [transaction_id = entry.transaction_id, finished = utcNowRfc3339()](sqlite3* db) {
        Statement update(db, "UPDATE outbox SET attempts = attempts + 1, state = 'delivered', "
                             "last_error = '', finished_utc = ?2 "
                             "WHERE transaction_id = ?1 AND state = 'pending'");
        update.bindText(1, transaction_id);
        update.bindText(2, finished);
        update.step();
        if (sqlite3_changes(db) == 1) eraseBody(db, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); },
      SqliteExchangeLog::Sync::kDeferred);
}

std::vector<OutboxEntry> SqliteOutboxStore::postbus(const std::string& recipient_party_id,
                                                    std::size_t limit) {
  std::lock_guard lock(mutex_);
  return select("WHERE recipient_party_id = ?1 AND state = 'postbus' ORDER BY created_utc, "
                "transaction_id LIMIT " + std::to_string(limit),
                {recipient_party_id});
}

bool SqliteOutboxStore::acknowledge(const std::string& recipient_party_id,
                                    const std::string& transaction_id) {
  auto changed = std::make_shared<bool>(false);
  std::promise<AppendResult> written;
  writer_.write(
      [=, finished = utcNowRfc3339()](sqlite3* db) {
        Statement update(db, "UPDATE outbox SET state = 'delivered', finished_utc = ?3 WHERE "
                             "transaction_id = ?1 AND recipient_party_id = ?2 AND state = 'postbus'");
        update.bindText(1, transaction_id);
        update.bindText(2, recipient_party_id);
        update.bindText(3, finished);
        update.step();
        *changed = sqlite3_changes(db) == 1;
        if (*changed) eraseBody(db, transaction_id);
      },
      [&written](const AppendResult& r) { written.set_value(r); });
  const AppendResult result = written.get_future().get();
  if (!result.ok) throw std::runtime_error("cannot record the acknowledgement: " + result.error);
  return *changed;
}

std::optional<std::string> SqliteOutboxStore::body(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  Statement q(db_, "SELECT body FROM outbox_bodies WHERE transaction_id = ?1");
  q.bindText(1, transaction_id);
  if (!q.step()) return std::nullopt;
  return std::string(q.blob(0));
}

std::optional<OutboxEntry> SqliteOutboxStore::find(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  auto found = select("WHERE transaction_id = ?1", {transaction_id});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<OutboxEntry> SqliteOutboxStore::list(const DeliveryQuery& query) {
  // Scoped in SQL, before the limit, so another organisation's entries never take its room.
  std::string where = "WHERE (sender_oin = ?1 OR recipient_oin = ?1)";
  std::vector<std::string> args{query.organisation_oin};
  const auto add = [&](const char* condition, std::string value) {
    args.push_back(std::move(value));
    where += std::string(" AND ") + condition + std::to_string(args.size());
  };
  if (query.state) add("state = ?", std::string(toString(*query.state)));
  if (query.flow) add("flow = ?", *query.flow);
  if (query.party_oin) {
    args.push_back(*query.party_oin);
    const std::string n = std::to_string(args.size());
    where += " AND (sender_oin = ?" + n + " OR recipient_oin = ?" + n + ")";
  }
  std::lock_guard lock(mutex_);
  return select(where + " ORDER BY created_utc DESC, transaction_id DESC LIMIT " +
                    std::to_string(query.limit),
                args);
}

std::size_t SqliteOutboxStore::importLegacyBodies(const std::filesystem::path& legacy_file) {
  std::lock_guard lock(mutex_);
  return sqlite_outbox::importBodies(db_, legacy_file);
}

std::uint64_t SqliteOutboxStore::count(DeliveryState state) {
  std::lock_guard lock(mutex_);
  // The state as a literal (it is one of ours, not input): only then can SQLite count it
  // from the state's partial index instead of reading the whole table.
  Statement q(db_, "SELECT COUNT(*) FROM outbox WHERE state = '" + std::string(toString(state)) + "'");
  q.step();
  return static_cast<std::uint64_t>(q.integer(0));
}

}  // namespace ketenpoort
