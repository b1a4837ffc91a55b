// The outbox and the bodies beside it, on both stores: a body exists exactly while its
// entry waits, and counts per state add up. Then what only the SQLite file has: its
// permissions, the bodies earlier versions kept in a separate file, its partial indexes.
#include <gmock/gmock.h>

#include <sqlite3.h>

#include <fstream>
#include <future>
#include <limits>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/support/store_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using testing::Backend;

// Queues a message (record, entry and body in one transaction), as a push does.
std::string queue(GatewayStore& store, const std::string& body, DeliveryRoute route) {
  OutboxEntry entry;
  entry.transaction_id = newUuidV7();
  entry.trace_id = newTraceId();
  entry.flow = "coa.klantprofiel";
  entry.recipient_party_id = "gemeente-0363";
  entry.route = route;
  entry.created_utc = systemTime().nowRfc3339();  // as the exchange stamps it: due at once
  entry.next_attempt_ms = systemTime().nowMs();
  ExchangeRecord r;
  r.transaction_id = entry.transaction_id;
  r.outcome = ExchangeOutcome::kQueued;
  const auto result =
      store.log().appendAndWait(r, [entry, body](StoreTransaction& tx) { tx.enqueueDelivery(entry, body); });
  EXPECT_TRUE(result.ok) << result.error;
  return entry.transaction_id;
}

void waitFor(OutboxStore& outbox, auto call) {
  std::promise<bool> done;
  call(outbox, [&done](bool ok, const std::string&) { done.set_value(ok); });
  ASSERT_TRUE(done.get_future().get());
}

class OutboxStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  testing::TempDir dir_;
  testing::StoreBackend backend_{GetParam(), dir_.path()};
  GatewayConfig config_ = backend_.config();
};

TEST_P(OutboxStoreTest, ABodyGoesWithTheWriteThatEndsItsWait) {
  GatewayStore store(config_);
  OutboxStore& outbox = store.outbox();
  const std::string delivered = queue(store, "<a/>", DeliveryRoute::kEndpoint);
  const std::string dead = queue(store, "<b/>", DeliveryRoute::kEndpoint);
  const std::string retried = queue(store, "<c/>", DeliveryRoute::kEndpoint);
  const std::string acknowledged = queue(store, "<d/>", DeliveryRoute::kPostbus);
  EXPECT_EQ(outbox.body(delivered), "<a/>");

  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.markDelivered(*o.find(delivered), d); });
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.recordFailure(*o.find(dead), "503", std::nullopt, d); });
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.recordFailure(*o.find(retried), "503", 1, d); });
  EXPECT_FALSE(outbox.acknowledge("gemeente-0518", acknowledged));  // another's: untouched
  EXPECT_TRUE(outbox.acknowledge("gemeente-0363", acknowledged));

  EXPECT_EQ(outbox.body(delivered), std::nullopt);
  EXPECT_EQ(outbox.body(dead), std::nullopt);
  EXPECT_EQ(outbox.body(retried), "<c/>");  // still waiting
  EXPECT_EQ(outbox.body(acknowledged), std::nullopt);
  EXPECT_EQ(outbox.find(dead)->state, DeliveryState::kDeadLetter);
}

// Only waiting entries are due, and the counts per state add up.
TEST_P(OutboxStoreTest, CountsPerStateAddUpAndOnlyWaitingEntriesAreDue) {
  GatewayStore store(config_);
  OutboxStore& outbox = store.outbox();
  const std::string delivered = queue(store, "<a/>", DeliveryRoute::kEndpoint);
  const std::string waiting = queue(store, "<b/>", DeliveryRoute::kEndpoint);
  const std::string dead = queue(store, "<c/>", DeliveryRoute::kEndpoint);
  queue(store, "<d/>", DeliveryRoute::kPostbus);
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.markDelivered(*o.find(delivered), d); });
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.recordFailure(*o.find(dead), "503", std::nullopt, d); });
  EXPECT_EQ(outbox.count(DeliveryState::kPending), 1u);
  EXPECT_EQ(outbox.count(DeliveryState::kPostbus), 1u);
  EXPECT_EQ(outbox.count(DeliveryState::kDeadLetter), 1u);
  EXPECT_EQ(outbox.count(DeliveryState::kDelivered), 1u);
  const auto due = outbox.due(std::numeric_limits<std::int64_t>::max(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due.front().transaction_id, waiting);
}

// Per recipient, when its oldest due entry was queued: the alert on a recipient that
// stopped taking deliveries. Not yet due, postbus and finished entries are not counted.
TEST_P(OutboxStoreTest, TheOldestDueEntryPerRecipientIsFound) {
  GatewayStore store(config_);
  OutboxStore& outbox = store.outbox();
  const std::string first = queue(store, "<a/>", DeliveryRoute::kEndpoint);
  queue(store, "<b/>", DeliveryRoute::kEndpoint);
  queue(store, "<c/>", DeliveryRoute::kPostbus);
  const auto oldest = outbox.oldestDuePerRecipient(std::numeric_limits<std::int64_t>::max());
  ASSERT_EQ(oldest.size(), 1u);
  EXPECT_EQ(oldest.at("gemeente-0363"), outbox.find(first)->created_utc);
  EXPECT_TRUE(parseRfc3339(oldest.at("gemeente-0363")).has_value());
  EXPECT_TRUE(outbox.oldestDuePerRecipient(0).empty());  // none was due at the epoch

  // Retried far in the future: not due; the other one still is.
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) {
    o.recordFailure(*o.find(first), "503", std::numeric_limits<std::int64_t>::max() - 1, d);
  });
  const auto after = outbox.oldestDuePerRecipient(std::numeric_limits<std::int64_t>::max() - 2);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after.at("gemeente-0363"), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgresql),
                         testing::BackendNamed());

class SqliteOutboxFileTest : public ::testing::Test {
 protected:
  SqliteOutboxFileTest() { config_.storage_path = dir_.path() / "data" / "ketenpoort.db"; }

  testing::TempDir dir_;
  GatewayConfig config_;
};

// The database holds waiting bodies: readable by the gateway's user only.
TEST_F(SqliteOutboxFileTest, TheDatabaseIsReadableByItsOwnerOnly) {
  std::filesystem::create_directories(config_.storage_path.parent_path());
  { std::ofstream(config_.storage_path).flush(); }  // as an older version left it: 0644
  std::filesystem::permissions(config_.storage_path, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  GatewayStore store(config_);
  queue(store, "<a/>", DeliveryRoute::kEndpoint);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto file = config_.storage_path.string() + suffix;
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)
        << file;
  }
}

TEST_F(SqliteOutboxFileTest, BodiesOfTheFormerPayloadFileAreTakenOverAtStart) {
  std::string waiting, delivered;
  {
    GatewayStore store(config_);
    waiting = queue(store, "<kept/>", DeliveryRoute::kEndpoint);
    delivered = queue(store, "<gone/>", DeliveryRoute::kEndpoint);
    waitFor(store.outbox(), [&](OutboxStore& o, OutboxStore::Done d) { o.markDelivered(*o.find(delivered), d); });
  }
  // As the former layout left it: the bodies in outbox-payloads.db, none in the database.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM outbox_bodies", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const auto legacy = legacyPayloadFile(config_);
  ASSERT_EQ(sqlite3_open(legacy.c_str(), &db), SQLITE_OK);
  const std::string sql =
      "CREATE TABLE payloads (transaction_id TEXT PRIMARY KEY, body BLOB NOT NULL);"
      "INSERT INTO payloads VALUES ('" +
      waiting + "', '<kept/>'), ('" + delivered + "', '<gone/>'), ('" + newUuidV7() + "', '<orphan/>')";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  GatewayStore store(config_);
  EXPECT_EQ(store.outbox().body(waiting), "<kept/>");
  EXPECT_EQ(store.outbox().body(delivered), std::nullopt);
  EXPECT_FALSE(std::filesystem::exists(legacy));
}

// Only waiting entries are indexed (partial indexes): an entry that stops waiting leaves
// them, and the former full indexes are dropped when a file of an older layout is opened.
TEST_F(SqliteOutboxFileTest, OnlyWaitingEntriesAreIndexed) {
  {
    GatewayStore store(config_);
    store.log().appendAndWait(ExchangeRecord{});  // creates the schema
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &db), SQLITE_OK);
  // As a former version (layout 5) left it.
  ASSERT_EQ(sqlite3_exec(db, "CREATE INDEX outbox_due ON outbox(state, next_attempt_ms); PRAGMA user_version=5",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  GatewayStore store(config_);
  OutboxStore& outbox = store.outbox();
  const std::string delivered = queue(store, "<a/>", DeliveryRoute::kEndpoint);
  queue(store, "<b/>", DeliveryRoute::kEndpoint);
  waitFor(outbox, [&](OutboxStore& o, OutboxStore::Done d) { o.markDelivered(*o.find(delivered), d); });

  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &db), SQLITE_OK);
  const auto single = [db](const char* sql) {
    sqlite3_stmt* q = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &q, nullptr), SQLITE_OK) << sql;
    std::string out;
    while (sqlite3_step(q) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(q, sqlite3_column_count(q) - 1));
      out += ";";
    }
    sqlite3_finalize(q);
    return out;
  };
  EXPECT_EQ(single("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' "
                   "AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name"),
            "outbox_dead_letter;outbox_pending;outbox_postbus;");
  // Each index holds only its own state's entries.
  EXPECT_EQ(single("SELECT COUNT(*) FROM outbox INDEXED BY outbox_pending WHERE state = 'pending'"), "1;");
  // The due read and the gauges use the partial indexes, not a scan of every entry ever.
  EXPECT_THAT(single("EXPLAIN QUERY PLAN SELECT transaction_id FROM outbox WHERE state = 'pending' AND "
                     "next_attempt_ms <= 5 ORDER BY next_attempt_ms LIMIT 10"),
              ::testing::HasSubstr("outbox_pending"));
  EXPECT_THAT(single("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM outbox WHERE state = 'dead-letter'"),
              ::testing::HasSubstr("outbox_dead_letter"));
  sqlite3_close(db);
}

}  // namespace
}  // namespace ketenpoort
