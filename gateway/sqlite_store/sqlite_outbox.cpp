#include "gateway/sqlite_store/sqlite_outbox.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <memory>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/sqlite_store/sqlite_statement.hpp"

namespace ketenpoort {

using store_internal::exec;
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
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
CREATE INDEX IF NOT EXISTS outbox_recipient ON outbox(recipient_party_id, state);
)sql";

constexpr const char* kOutboxColumns =
    "SELECT transaction_id, trace_id, flow, purpose, legal_basis, sender_oin, "
    "recipient_party_id, recipient_oin, route, state, created_utc, attempts, next_attempt_ms, "
    "last_error, finished_utc, subject_ref, consent_id, agreement_id, koppeling_cbs FROM outbox ";

constexpr int kReadWrite = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
constexpr int kBusyTimeoutMs = 5000;
constexpr auto kTruncateWhenIdleAfter = std::chrono::milliseconds(100);
constexpr auto kTruncateAtLeastEvery = std::chrono::seconds(1);

}  // namespace

namespace sqlite_outbox {

void createSchema(sqlite3* db) { exec(db, kOutboxSchema); }

void enqueue(sqlite3* db, const OutboxEntry& e) {
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
}

}  // namespace sqlite_outbox

SqliteOutboxStore::SqliteOutboxStore(const std::filesystem::path& database, SqliteExchangeLog& writer)
    : writer_(writer), db_(openDatabase(database, kReadWrite | SQLITE_OPEN_CREATE, kBusyTimeoutMs)) {
  try {
    exec(db_, "PRAGMA journal_mode=WAL");
    sqlite_outbox::createSchema(db_);
  } catch (const SqliteError& e) {
    sqlite3_close(db_);
    throw std::runtime_error(std::string("cannot create the outbox: ") + e.what());
  }
}

SqliteOutboxStore::~SqliteOutboxStore() { sqlite3_close(db_); }

std::vector<OutboxEntry> SqliteOutboxStore::select(const std::string& where,
                                                   const std::vector<std::string>& args) {
  std::vector<OutboxEntry> out;
  Statement q(db_, std::string(kOutboxColumns) + where);
  for (std::size_t i = 0; i < args.size(); ++i) q.bindText(static_cast<int>(i + 1), args[i]);
  while (q.step()) {
    OutboxEntry e;
    e.transaction_id = q.text(0);
    e.trace_id = q.text(1);
    e.flow = q.text(2);
    e.purpose = q.text(3);
    e.legal_basis = q.text(4);
    e.sender_oin = q.text(5);
    e.recipient_party_id = q.text(6);
    e.recipient_oin = q.text(7);
    e.route = q.text(8) == "postbus" ? DeliveryRoute::kPostbus : DeliveryRoute::kEndpoint;
    e.state = parseDeliveryState(q.text(9)).value_or(DeliveryState::kPending);
    e.created_utc = q.text(10);
    e.attempts = static_cast<std::uint32_t>(q.integer(11));
    e.next_attempt_ms = q.integer(12);
    e.last_error = q.text(13);
    e.finished_utc = q.text(14);
    e.subject_ref = q.text(15);
    e.consent_id = q.text(16);
    e.agreement_id = q.text(17);
    e.koppeling_cbs = q.text(18);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<OutboxEntry> SqliteOutboxStore::due(std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return select("WHERE state = 'pending' AND next_attempt_ms <= CAST(?1 AS INTEGER) "
                "ORDER BY next_attempt_ms LIMIT " + std::to_string(limit),
                {std::to_string(now_ms)});
}

void SqliteOutboxStore::recordFailure(const std::string& transaction_id, const std::string& error,
                                      std::optional<std::int64_t> next_attempt_ms, Done done) {
  const std::string finished = utcNowRfc3339();
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
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); });
}

void SqliteOutboxStore::markDelivered(const std::string& transaction_id, Done done) {
  writer_.write(
      [transaction_id, finished = utcNowRfc3339()](sqlite3* db) {
        Statement update(db, "UPDATE outbox SET attempts = attempts + 1, state = 'delivered', "
                             "last_error = '', finished_utc = ?2 "
                             "WHERE transaction_id = ?1 AND state = 'pending'");
        update.bindText(1, transaction_id);
        update.bindText(2, finished);
        update.step();
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); });
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
      },
      [&written](const AppendResult& r) { written.set_value(r); });
  const AppendResult result = written.get_future().get();
  if (!result.ok) throw std::runtime_error("cannot record the acknowledgement: " + result.error);
  return *changed;
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

std::uint64_t SqliteOutboxStore::count(DeliveryState state) {
  std::lock_guard lock(mutex_);
  Statement q(db_, "SELECT COUNT(*) FROM outbox WHERE state = ?1");
  q.bindText(1, toString(state));
  q.step();
  return static_cast<std::uint64_t>(q.integer(0));
}

// --- payloads -------------------------------------------------------------------------

SqlitePayloadStore::SqlitePayloadStore(const std::filesystem::path& database) {
  // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm the same mode.
  const int fd = ::open(database.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + database.string());
  ::close(fd);
  writer_ = openDatabase(database, kReadWrite, kBusyTimeoutMs);
  try {
    exec(writer_, "PRAGMA journal_mode=WAL");
    exec(writer_, "PRAGMA synchronous=FULL");
    // A delivered body is overwritten, not just unlinked from the b-tree.
    exec(writer_, "PRAGMA secure_delete=ON");
    exec(writer_, "CREATE TABLE IF NOT EXISTS payloads (transaction_id TEXT PRIMARY KEY, "
                  "body BLOB NOT NULL)");
    reader_ = openDatabase(database, kReadWrite, kBusyTimeoutMs);
  } catch (const SqliteError& e) {
    sqlite3_close(writer_);
    throw std::runtime_error(std::string("cannot create the payload store: ") + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

SqlitePayloadStore::~SqlitePayloadStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

void SqlitePayloadStore::put(std::string transaction_id, std::string body, Callback done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(transaction_id), std::move(body), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(false, "payload store is shutting down");
}

void SqlitePayloadStore::remove(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  queue_.push_back({transaction_id, {}, nullptr});
  wake_.notify_one();
}

std::optional<std::string> SqlitePayloadStore::get(const std::string& transaction_id) {
  std::lock_guard lock(read_mutex_);
  Statement q(reader_, "SELECT body FROM payloads WHERE transaction_id = ?1");
  q.bindText(1, transaction_id);
  if (!q.step()) return std::nullopt;
  return std::string(q.blob(0));
}

std::size_t SqlitePayloadStore::sweep(const std::function<bool(const std::string&)>& keep) {
  std::vector<std::string> orphans;
  {
    std::lock_guard lock(read_mutex_);
    Statement q(reader_, "SELECT transaction_id FROM payloads");
    while (q.step()) {
      std::string id(q.text(0));
      if (!keep(id)) orphans.push_back(std::move(id));
    }
  }
  for (const auto& id : orphans) remove(id);
  return orphans.size();
}

void SqlitePayloadStore::run() {
  // Never overwrites: a body belongs to the exchange that wrote it first (a second party
  // re-using a transaction id must not replace, nor later remove, another's body).
  Statement insert(writer_, "INSERT INTO payloads (transaction_id, body) VALUES (?1, ?2) "
                            "ON CONFLICT(transaction_id) DO NOTHING");
  Statement erase(writer_, "DELETE FROM payloads WHERE transaction_id = ?1");
  std::vector<Pending> batch;
  std::vector<char> written;  // per batch item: whether its body was inserted
  bool synchronous_full = true;  // as opened
  // secure_delete zeroes a removed body in the database file, but the WAL still holds
  // the frames that wrote it until the WAL is checkpointed and truncated. A removal is
  // therefore followed, once the store is idle (or at least every second under load), by
  // a TRUNCATE checkpoint: after it, no file of the store holds a removed body.
  bool removed_since_truncate = false;
  auto last_truncate = std::chrono::steady_clock::now();
  const auto truncateWal = [&] {
    const int rc = sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    last_truncate = std::chrono::steady_clock::now();
    if (rc == SQLITE_OK) {
      removed_since_truncate = false;
    } else {
      logWarn("payload-wal-truncate-deferred", {{"error", sqlite3_errmsg(writer_)}});
    }
  };
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto work = [this] { return stopping_ || !queue_.empty(); };
    if (removed_since_truncate) {
      wake_.wait_for(lock, kTruncateWhenIdleAfter, work);
    } else {
      wake_.wait(lock, work);
    }
    if (queue_.empty()) {
      const bool stop = stopping_;
      lock.unlock();
      if (removed_since_truncate) truncateWal();
      if (stop) return;
      lock.lock();
      continue;
    }
    batch.clear();
    while (!queue_.empty() && batch.size() < 4096) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::string error;
    try {
      // A body must be durable before its exchange is logged; a removal need not be (a
      // body left behind by a crash is swept at the next start), so a batch of removals
      // only commits to the WAL and the next batch with a body syncs it.
      const bool bodies = std::any_of(batch.begin(), batch.end(), [](const Pending& p) { return p.done != nullptr; });
      if (bodies != synchronous_full) {
        exec(writer_, bodies ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        synchronous_full = bodies;
      }
      written.assign(batch.size(), 0);
      exec(writer_, "BEGIN IMMEDIATE");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const Pending& p = batch[i];
        Statement& s = p.done ? insert : erase;
        s.reset();
        s.bindText(1, p.transaction_id);
        if (p.done) s.bindBlob(2, p.body);
        s.step();
        written[i] = sqlite3_changes(writer_) == 1;
      }
      exec(writer_, "COMMIT");
    } catch (const std::exception& e) {
      error = e.what();
      sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
      logError("payload-store-unwritable", {{"error", error}, {"items", batch.size()}});
    }
    if (error.empty() && std::any_of(batch.begin(), batch.end(), [](const Pending& p) { return !p.done; })) {
      removed_since_truncate = true;
    }
    if (removed_since_truncate && std::chrono::steady_clock::now() - last_truncate >= kTruncateAtLeastEvery) {
      truncateWal();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Pending& p = batch[i];
      if (!p.done) continue;
      if (!error.empty()) {
        p.done(false, error);
      } else if (!written[i]) {
        p.done(false, std::string(kPayloadExists));
      } else {
        p.done(true, {});
      }
    }
    batch.clear();  // the callbacks and what they hold go now, not with the next batch
    lock.lock();
  }
}

}  // namespace ketenpoort
