// What only the SQLite file has: its WAL copied back while the gateway runs, older layouts
// taken over, a full or read-only disk failing closed, no BSN in the file or its WAL; and
// the record hash itself. The chain on both stores: exchange_chain_test.cpp.
#include <gmock/gmock.h>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/support/log_fill.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBsn = "725763863";  // synthetic

class ExchangeLogTest : public ::testing::Test {
 protected:
  ExchangeLogOptions options() const {
    ExchangeLogOptions o;
    o.database = dir_.path() / "ketenpoort.db";
    o.signing_key = dir_.path() / "log-signing.key";
    o.checkpoint_every_records = 10;
    o.busy_timeout = std::chrono::milliseconds(100);
    return o;
  }

  ExchangeRecord record(int i) const {
    return testing::sampleRecord(i, referencer_.reference({SubjectKey::Kind::kBsn, kBsn}));
  }

  // Appends n records (and closes the log, which writes a final checkpoint).
  void writeRecords(int n) {
    SqliteExchangeLog log(options());
    for (int i = 0; i < n; ++i) ASSERT_TRUE(log.appendAndWait(record(i)).ok);
  }

  // ranges_of: records per verification range; small values make the verifier split
  // even these short logs, so range boundaries are exercised.
  LogVerification verify(std::uint64_t ranges_of = 50'000,
                         const std::optional<SignedHead>& witness = std::nullopt) const {
    std::ifstream in(dir_.path() / "log-signing.key.pub");
    std::stringstream pem;
    pem << in.rdbuf();
    return verifyExchangeLog(options().database, pem.str(), witness, ranges_of);
  }

  // A forger without the signing key: rewrites previous_hash/record_hash of every record
  // from `first` on so the chain is internally consistent again, starting from `previous`.
  void recomputeChainFrom(std::int64_t first, std::string previous) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options().database.c_str(), &db), SQLITE_OK);
    std::string sql = "SELECT seq";
    for (auto c : kHashedColumns) sql += ", " + std::string(c);
    sql += " FROM exchange_log WHERE seq >= " + std::to_string(first) + " ORDER BY seq";
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr);
    std::vector<std::pair<std::int64_t, std::pair<std::string, std::string>>> rewritten;
    while (sqlite3_step(select) == SQLITE_ROW) {
      std::array<std::string, kHashedColumns.size()> texts;
      std::array<std::string_view, kHashedColumns.size()> views;
      for (std::size_t c = 0; c < texts.size(); ++c) {
        texts[c] = reinterpret_cast<const char*>(sqlite3_column_text(select, static_cast<int>(c) + 1));
        views[c] = texts[c];
      }
      const auto seq = sqlite3_column_int64(select, 0);
      const std::string hash = chainHash(previous, static_cast<std::uint64_t>(seq), views);
      rewritten.push_back({seq, {previous, hash}});
      previous = hash;
    }
    sqlite3_finalize(select);
    sqlite3_stmt* update = nullptr;
    sqlite3_prepare_v2(db, "UPDATE exchange_log SET previous_hash = ?1, record_hash = ?2 WHERE seq = ?3", -1, &update,
                       nullptr);
    for (const auto& [seq, hashes] : rewritten) {
      sqlite3_bind_blob(update, 1, hashes.first.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_blob(update, 2, hashes.second.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_int64(update, 3, seq);
      sqlite3_step(update);
      sqlite3_reset(update);
    }
    sqlite3_finalize(update);
    sqlite3_close(db);
  }

  // What an attacker with the sqlite3 tool does.
  void tamper(const std::string& sql) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options().database.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
    sqlite3_close(db);
  }

  testing::TempDir dir_;
  SubjectReferencer referencer_{std::string(32, 'k')};
};

// The checkpointer copies the WAL back into the database while the log is open; a WAL
// that is only folded in at close grows for as long as the gateway runs.
TEST_F(ExchangeLogTest, TheWalIsCopiedBackWhileTheGatewayRuns) {
  SqliteExchangeLog log(options());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(log.appendAndWait(record(i)).ok);
  const auto database = options().database;
  EXPECT_TRUE(
      testing::waitUntil([&] { return std::filesystem::file_size(database) > 16 * 4096; }, std::chrono::seconds(3)))
      << "database file: " << std::filesystem::file_size(database) << " bytes";
}

// A log written before the sender's span id was kept (layout 2) is taken over: its
// records keep their hashes, new ones carry the span, and the whole verifies.
TEST_F(ExchangeLogTest, ALogOfTheLayoutBeforeIsTakenOverAndStillVerifies) {
  writeRecords(5);
  tamper(
      "ALTER TABLE exchange_log DROP COLUMN foreign_span_id; DROP TABLE log_purges; DROP TABLE log_purged_runs;"
      "PRAGMA user_version=2");
  ExchangeRecord with_span = record(6);
  with_span.foreign_span_id = "00f067aa0ba902b7";
  {
    SqliteExchangeLog log(options());
    ASSERT_TRUE(log.appendAndWait(with_span).ok);
    const auto found = log.findTransaction(with_span.transaction_id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->record.foreign_span_id, "00f067aa0ba902b7");
  }
  const auto v = verify(2);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 6u);
  // The span is hashed: changed, the record no longer verifies.
  tamper("UPDATE exchange_log SET foreign_span_id = '' WHERE seq = 6");
  EXPECT_EQ(verify().first_bad_sequence, 6u);
}

// The sender's span id joined the hashed columns later: a record without one hashes as
// every record written before it did (domain, previous hash, sequence, eighteen columns).
TEST(RecordHash, ARecordWithoutASenderSpanHashesAsBeforeTheColumnExisted) {
  ExchangeRecord r;
  r.transaction_id = "0190a5e4-7c1e-7a31-9f0e-2b8d4c6a1e55";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.flow = "coa.klantprofiel";
  r.retention_until = "2031-12-02";
  const auto texts = columnTexts(r);
  std::array<std::string_view, kHashedColumns.size()> views;
  for (std::size_t c = 0; c < views.size(); ++c) views[c] = texts[c];
  const std::string previous(32, 'p');
  std::string encoded = "ketenpoort-exchange-log-v1" + previous;
  for (int i = 7; i >= 0; --i) encoded.push_back(static_cast<char>(std::uint64_t{42} >> (8 * i)));
  for (std::size_t c = 0; c < 18; ++c) {
    const auto n = static_cast<std::uint32_t>(texts[c].size());
    for (int shift : {24, 16, 8, 0}) encoded.push_back(static_cast<char>(n >> shift));
    encoded += texts[c];
  }
  EXPECT_EQ(toHex(chainHash(previous, 42, views)), sha256Hex(encoded));
  r.foreign_span_id = "00f067aa0ba902b7";
  const auto with_span = columnTexts(r);
  for (std::size_t c = 0; c < views.size(); ++c) views[c] = with_span[c];
  EXPECT_NE(toHex(chainHash(previous, 42, views)), sha256Hex(encoded));
}

// Issue 28: where a message goes besides an endpoint (the zaak in a case system) joined the
// hashed columns later still: hashed when present, and never mistaken for the sender's span.
TEST(RecordHash, WhereAMessageWentIsHashedAndCannotPassForTheSendersSpan) {
  ExchangeRecord r;
  r.transaction_id = "0190a5e4-7c1e-7a31-9f0e-2b8d4c6a1e55";
  r.flow = "coa.klantprofiel";
  const auto hash = [](const ExchangeRecord& record) {
    const auto texts = columnTexts(record);
    std::array<std::string_view, kHashedColumns.size()> views;
    for (std::size_t c = 0; c < views.size(); ++c) views[c] = texts[c];
    return chainHash(std::string(32, 'p'), 7, views);
  };
  ExchangeRecord into = r;
  into.delivered_into = "zgw KTP-0190a5e47c1e7a319f0e2b8d4c6a1e55";
  ExchangeRecord as_span = r;
  as_span.foreign_span_id = into.delivered_into;
  EXPECT_NE(hash(into), hash(r));
  EXPECT_NE(hash(into), hash(as_span));
  ExchangeRecord both = into;
  both.foreign_span_id = "00f067aa0ba902b7";
  EXPECT_NE(hash(both), hash(into));
}

TEST_F(ExchangeLogTest, WhereAMessageWentIsKeptAndChangingItBreaksTheChain) {
  writeRecords(2);
  ExchangeRecord r = record(3);
  r.delivered_into = "zgw KTP-0190a5e47c1e7a319f0e2b8d4c6a1e55";
  {
    SqliteExchangeLog log(options());
    ASSERT_TRUE(log.appendAndWait(r).ok);
    EXPECT_EQ(log.findTransaction(r.transaction_id)->record.delivered_into, r.delivered_into);
  }
  EXPECT_TRUE(verify().intact);
  tamper("UPDATE exchange_log SET delivered_into = 'zgw KTP-00000000000000000000000000000000' WHERE seq = 3");
  EXPECT_EQ(verify().first_bad_sequence, 3u);
}

TEST_F(ExchangeLogTest, FullDatabaseFailsClosed) {
  ExchangeLogOptions o = options();
  o.max_database_pages = 40;  // a small disk
  std::uint64_t written = 0;
  {
    SqliteExchangeLog log(o);
    AppendResult last;
    for (int i = 0; i < 5000; ++i) {
      last = log.appendAndWait(record(i));
      if (!last.ok) break;
      written = last.sequence;
    }
    ASSERT_FALSE(last.ok) << "the database never filled up";
    EXPECT_THAT(last.error, HasSubstr("full"));
    EXPECT_FALSE(log.healthy());
    EXPECT_EQ(log.lastSequence(), written);
  }
  // What was reported durable is there and intact.
  const auto v = verify();
  EXPECT_EQ(v.records_checked, written);
}

TEST_F(ExchangeLogTest, ReadOnlyFileFailsClosedAndRecovers) {
  ExchangeLogOptions o = options();
  SqliteExchangeLog log(o);
  ASSERT_TRUE(log.appendAndWait(record(1)).ok);
  // Commits go to the WAL: make it (and the database) immutable, as a file system that
  // turned read-only under the gateway would be.
  const std::string files = o.database.string() + " " + o.database.string() + "-wal";
  if (std::system(("chattr +i " + files + " 2>/dev/null").c_str()) != 0) {
    GTEST_SKIP() << "chattr +i is not permitted here; the read-only case needs it";
  }
  const auto refused = log.appendAndWait(record(2));
  const bool healthy = log.healthy();
  ASSERT_EQ(std::system(("chattr -i " + files).c_str()), 0);
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(healthy);
  EXPECT_EQ(log.lastSequence(), 1u);
  const auto again = log.appendAndWait(record(3));
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.sequence, 2u);
  EXPECT_TRUE(log.healthy());
}

TEST_F(ExchangeLogTest, NoBsnInTheDatabaseOrItsWal) {
  ExchangeLogOptions o = options();
  SqliteExchangeLog log(o);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log.appendAndWait(record(i)).ok);
  // While the log is open its records sit in the WAL; read both files raw.
  std::string everything;
  for (const auto& file : {o.database, std::filesystem::path(o.database.string() + "-wal")}) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(kBsn), std::string::npos) << file;
    everything += bytes.str();
  }
  // The keyed reference is there instead: the test looks in the right place.
  EXPECT_NE(everything.find(referencer_.reference({SubjectKey::Kind::kBsn, kBsn})), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort
