// The exchange log: durable appends, every tamper case detected, fail-closed writes.
#include <gmock/gmock.h>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/subject_reference.hpp"
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
    ExchangeRecord r;
    r.transaction_id = newUuidV7();
    r.trace_id = newTraceId();
    r.time_utc = utcNowRfc3339();
    r.flow = "coa.klantprofiel";
    r.sender_oin = "00000099100000000001";
    r.recipient_oin = "00000099200000000363";
    r.purpose = "regie-inburgering";
    r.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
    r.subject_ref = referencer_.reference({SubjectKey::Kind::kBsn, kBsn});
    r.fields_delivered = {"persoon.bsn", "persoon.voornamen", "gezin.leden[" + std::to_string(i) + "].relatie"};
    r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}};
    r.outcome = ExchangeOutcome::kDelivered;
    r.payload_sha256 = sha256Hex("payload " + std::to_string(i));
    r.retention_until = "2030-11-22";
    return r;
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
    sqlite3_prepare_v2(db, "UPDATE exchange_log SET previous_hash = ?1, record_hash = ?2 WHERE seq = ?3",
                       -1, &update, nullptr);
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
  EXPECT_TRUE(testing::waitUntil([&] { return std::filesystem::file_size(database) > 16 * 4096; },
                                 std::chrono::seconds(3)))
      << "database file: " << std::filesystem::file_size(database) << " bytes";
}

TEST_F(ExchangeLogTest, AppendsAreNumberedAndTheChainVerifies) {
  {
    SqliteExchangeLog log(options());
    for (int i = 1; i <= 25; ++i) {
      const auto r = log.appendAndWait(record(i));
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.sequence, static_cast<std::uint64_t>(i));
    }
    EXPECT_TRUE(log.healthy());
  }
  const auto v = verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 25u);
  EXPECT_GE(v.checkpoints_checked, 2u);  // every 10 records, and one at close
}

TEST_F(ExchangeLogTest, TheChainContinuesAcrossRestarts) {
  writeRecords(7);
  {
    SqliteExchangeLog log(options());
    EXPECT_EQ(log.appendAndWait(record(8)).sequence, 8u);
  }
  EXPECT_TRUE(verify().intact) << verify().problem;
}

TEST_F(ExchangeLogTest, TwoWritersOnOneDatabaseKeepOneChain) {
  // The gateway and a CLI process recording an audit query both append.
  {
    SqliteExchangeLog gateway(options());
    SqliteExchangeLog cli(options());
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE((i % 3 == 0 ? cli : gateway).appendAndWait(record(i)).ok) << i;
    }
    EXPECT_EQ(gateway.appendAndWait(record(99)).sequence, 31u);
  }
  const auto v = verify(5);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 31u);
}

TEST_F(ExchangeLogTest, ConcurrentAppendsAreAllDurableAndChained) {
  {
    SqliteExchangeLog log(options());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 250; ++i) {
          if (!log.appendAndWait(record(t * 1000 + i)).ok) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(log.lastSequence(), 2000u);
  }
  const auto v = verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 2000u);
}

// --- tampering: every case names the first bad sequence number ---------------------

TEST_F(ExchangeLogTest, RecordsAreFoundByTransactionAndByQuery) {
  SqliteExchangeLog log(options());
  ExchangeRecord first = record(1);
  ExchangeRecord second = record(2);
  second.recipient_oin = "00000099200000000518";
  second.outcome = ExchangeOutcome::kRefused;
  second.reason = "no-koppeling";
  ASSERT_TRUE(log.appendAndWait(first).ok);
  ASSERT_TRUE(log.appendAndWait(second).ok);

  const auto found = log.findTransaction(second.transaction_id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->sequence, 2u);
  EXPECT_EQ(found->record.reason, "no-koppeling");
  EXPECT_EQ(found->record.fields_withheld.size(), 1u);
  // A later record with the same id (another sender's conflicting attempt) does not hide
  // the first: the id belongs to whoever used it first.
  ExchangeRecord reuse = second;
  reuse.sender_oin = "00000099100000000002";
  ASSERT_TRUE(log.appendAndWait(reuse).ok);
  EXPECT_EQ(log.findTransaction(second.transaction_id)->record.sender_oin, second.sender_oin);

  ExchangeQuery query;
  query.organisation_oin = "00000099200000000363";
  const auto for_amsterdam = log.findExchanges(query);
  ASSERT_EQ(for_amsterdam.size(), 1u);
  EXPECT_EQ(for_amsterdam[0].record.transaction_id, first.transaction_id);
  query.organisation_oin = first.sender_oin;
  query.outcome = "refused";
  const auto refused = log.findExchanges(query);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].record.transaction_id, second.transaction_id);
}

TEST_F(ExchangeLogTest, AuditSearchesComeInKeysetPagesOfTheOrganisationsOwnRecords) {
  const std::string amsterdam = "00000099200000000363";
  const std::string utrecht = "00000099200000000344";
  SqliteExchangeLog log(options());
  // Amsterdam as recipient, as sender, as both; Utrecht's records in between; and one of
  // the gateway's own records about Amsterdam.
  std::vector<std::string> amsterdams;
  for (int i = 0; i < 30; ++i) {
    ExchangeRecord r = record(i);
    switch (i % 5) {
      case 0: r.recipient_oin = utrecht; break;
      case 1: r.sender_oin = amsterdam; r.recipient_oin = "00000099100000000002"; break;
      case 2: r.sender_oin = amsterdam; r.recipient_oin = amsterdam; break;
      case 3: r.flow = "ketenpoort.audit-query"; r.sender_oin = amsterdam; break;
      default: break;  // to Amsterdam
    }
    if (i % 5 != 0 && i % 5 != 3) amsterdams.push_back(r.transaction_id);
    ASSERT_TRUE(log.appendAndWait(r).ok);
  }
  ExchangeQuery query;
  query.organisation_oin = amsterdam;
  query.exchanges_only = true;
  query.limit = 7;
  std::vector<std::string> seen;
  std::uint64_t last = 0;
  for (int page = 0; page < 10; ++page) {
    const auto found = log.findExchanges(query);
    for (const auto& e : found) {
      EXPECT_GT(e.sequence, last) << "in sequence order, each record once";
      last = e.sequence;
      seen.push_back(e.record.transaction_id);
      EXPECT_TRUE(e.record.sender_oin == amsterdam || e.record.recipient_oin == amsterdam);
      EXPECT_NE(e.record.flow, "ketenpoort.audit-query");
    }
    if (found.size() < query.limit) break;
    query.after_sequence = found.back().sequence;
  }
  EXPECT_EQ(seen, amsterdams);
  // Without exchanges_only the gateway's own records are there too; without a limit, all.
  ExchangeQuery all;
  all.organisation_oin = amsterdam;
  EXPECT_EQ(log.findExchanges(all).size(), amsterdams.size() + 6);
}

TEST_F(ExchangeLogTest, ChangedFieldIsDetected) {
  writeRecords(30);
  tamper("UPDATE exchange_log SET purpose = 'ontzorgen' WHERE seq = 17");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 17u);
  EXPECT_THAT(v.problem, HasSubstr("altered"));
}

TEST_F(ExchangeLogTest, ChangedWithholdingIsDetected) {
  writeRecords(5);
  tamper("UPDATE exchange_log SET fields_withheld = '[]' WHERE seq = 3");
  EXPECT_EQ(verify().first_bad_sequence, 3u);
}

TEST_F(ExchangeLogTest, ChangedChainLinkIsDetected) {
  writeRecords(5);
  tamper("UPDATE exchange_log SET previous_hash = zeroblob(32) WHERE seq = 4");
  const auto v = verify();
  EXPECT_EQ(v.first_bad_sequence, 4u);
  EXPECT_THAT(v.problem, HasSubstr("does not follow its predecessor"));
}

TEST_F(ExchangeLogTest, ChangedLookupKeyIsDetected) {
  writeRecords(5);
  // Hiding record 2 from an access report by BSN.
  tamper("UPDATE exchange_log SET subject_key = 42 WHERE seq = 2");
  const auto v = verify();
  EXPECT_EQ(v.first_bad_sequence, 2u);
  EXPECT_THAT(v.problem, HasSubstr("lookup key"));
}

TEST_F(ExchangeLogTest, RangesVerifiedInParallelLinkUp) {
  writeRecords(40);
  const auto v = verify(4);  // ten ranges, at most one per core at a time
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 40u);
  EXPECT_EQ(v.checkpoints_checked, 4u);
}

TEST_F(ExchangeLogTest, TamperingAtARangeBoundaryIsDetected) {
  writeRecords(40);
  const std::uint64_t first_of_second_range = 1 + 40 / std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  tamper("UPDATE exchange_log SET previous_hash = zeroblob(32) WHERE seq = " +
         std::to_string(first_of_second_range));
  const auto linked = verify(4);
  EXPECT_FALSE(linked.intact);
  EXPECT_EQ(linked.first_bad_sequence, first_of_second_range);
  EXPECT_EQ(linked.records_checked, first_of_second_range - 1);
}

TEST_F(ExchangeLogTest, DeletionAtARangeBoundaryIsDetected) {
  writeRecords(40);
  tamper("DELETE FROM exchange_log WHERE seq = 21");
  for (std::uint64_t ranges_of : {1u, 4u, 20u, 50'000u}) {
    const auto v = verify(ranges_of);
    EXPECT_FALSE(v.intact) << ranges_of;
    EXPECT_EQ(v.first_bad_sequence, 21u) << ranges_of;
  }
}

TEST_F(ExchangeLogTest, DeletedRecordIsDetected) {
  writeRecords(30);
  tamper("DELETE FROM exchange_log WHERE seq = 12");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 12u);
  EXPECT_THAT(v.problem, HasSubstr("missing"));
}

TEST_F(ExchangeLogTest, InsertedRecordIsDetected) {
  writeRecords(30);
  // Make room at 12 and copy a record into it, as a forger would.
  tamper("UPDATE exchange_log SET seq = seq + 1000 WHERE seq >= 12;"
         "UPDATE exchange_log SET seq = seq - 999 WHERE seq >= 1012;"
         "INSERT INTO exchange_log SELECT 12, transaction_id, trace_id, time_utc, flow, sender_oin,"
         " recipient_oin, purpose, legal_basis, consent_id, agreement_id, subject_ref,"
         " fields_delivered, fields_withheld, outcome, reason, payload_sha256, retention_until, request_sha256,"
         " previous_hash, record_hash, subject_key, foreign_span_id, node_id FROM exchange_log WHERE seq = 11");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 12u);
}

// A log written before the sender's span id was kept (layout 2) is taken over: its
// records keep their hashes, new ones carry the span, and the whole verifies.
TEST_F(ExchangeLogTest, ALogOfTheLayoutBeforeIsTakenOverAndStillVerifies) {
  writeRecords(5);
  tamper("ALTER TABLE exchange_log DROP COLUMN foreign_span_id; DROP TABLE log_purges; DROP TABLE log_purged_runs;"
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

TEST_F(ExchangeLogTest, AppendedForgeryIsDetected) {
  writeRecords(5);
  tamper("INSERT INTO exchange_log SELECT 6, transaction_id, trace_id, time_utc, flow, sender_oin,"
         " recipient_oin, purpose, legal_basis, consent_id, agreement_id, subject_ref,"
         " fields_delivered, fields_withheld, outcome, reason, payload_sha256, retention_until, request_sha256,"
         " record_hash, record_hash, subject_key, foreign_span_id, node_id FROM exchange_log WHERE seq = 5");
  EXPECT_EQ(verify().first_bad_sequence, 6u);
}

TEST_F(ExchangeLogTest, ReorderedRecordsAreDetected) {
  writeRecords(30);
  tamper("UPDATE exchange_log SET seq = -1 WHERE seq = 8;"
         "UPDATE exchange_log SET seq = 8 WHERE seq = 9;"
         "UPDATE exchange_log SET seq = 9 WHERE seq = -1");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 8u);
}

TEST_F(ExchangeLogTest, TruncationBelowASignedCheckpointIsDetected) {
  writeRecords(30);  // checkpoints at 10, 20, 30
  tamper("DELETE FROM exchange_log WHERE seq > 24");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 25u);
  EXPECT_THAT(v.problem, HasSubstr("checkpoint vouches for record 30"));
}

TEST_F(ExchangeLogTest, RecomputedChainWithoutTheKeyIsDetected) {
  writeRecords(30);
  // Change record 3 and recompute every hash after it: only the signed checkpoints,
  // which the forger cannot re-sign, still disagree.
  tamper("UPDATE exchange_log SET outcome = 'refused' WHERE seq = 3");
  recomputeChainFrom(1, std::string(32, '\0'));
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 10u);  // the first checkpoint after the change
  EXPECT_THAT(v.problem, HasSubstr("differs from its signed checkpoint"));
}

TEST_F(ExchangeLogTest, RewrittenTailWithItsCheckpointsDeletedIsDetectedAtTheLink) {
  writeRecords(40);
  // Rewrite records 21..40 onto a made-up predecessor and drop the checkpoints that would
  // betray it. Whether 21 starts a verification range or not, the link 20 → 21 breaks.
  tamper("UPDATE exchange_log SET outcome = 'refused' WHERE seq = 25");
  recomputeChainFrom(21, std::string(32, 'x'));
  tamper("DELETE FROM log_checkpoints WHERE seq > 20");
  for (std::uint64_t ranges_of : {20u, 50'000u}) {
    const auto v = verify(ranges_of);
    EXPECT_FALSE(v.intact) << ranges_of;
    EXPECT_EQ(v.first_bad_sequence, 21u) << ranges_of;
  }
}

// Issue 12, defect 6: a cut tail verified as intact. The signed head, rewritten with every
// commit, and checkpoints chained to each other close that gap.
TEST_F(ExchangeLogTest, ACutTailIsDetectedWhateverElseIsCutWithIt) {
  const auto cut = [&](const std::string& sql) -> LogVerification {
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    writeRecords(25);  // checkpoints at 10, 20 and (closing) 25; the head at 25
    EXPECT_TRUE(verify().intact);
    tamper(sql);
    return verify();
  };
  // The last records only.
  auto v = cut("DELETE FROM exchange_log WHERE seq > 22");
  EXPECT_FALSE(v.intact);
  // The last records and the checkpoints after them.
  v = cut("DELETE FROM exchange_log WHERE seq > 22; DELETE FROM log_checkpoints WHERE seq > 22");
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 23u);
  EXPECT_THAT(v.problem, HasSubstr("signed head vouches for record 25"));
  // Every checkpoint.
  v = cut("DELETE FROM log_checkpoints");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("checkpoints were cut off"));
  // A checkpoint from the middle.
  v = cut("DELETE FROM log_checkpoints WHERE seq = 10");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("checkpoint before the one at record 20 is missing"));
  // Records, checkpoints and the head together.
  v = cut("DELETE FROM exchange_log WHERE seq > 22; DELETE FROM log_checkpoints WHERE seq > 22; "
          "DELETE FROM log_heads");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("no signed head"));
  // A head moved back without the key.
  v = cut("DELETE FROM exchange_log WHERE seq > 22; UPDATE log_heads SET seq = 22, "
          "record_hash = (SELECT record_hash FROM exchange_log WHERE seq = 22)");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("head is not signed"));
}

TEST_F(ExchangeLogTest, AWitnessedHeadExposesALogRolledBackToAnOlderConsistentState) {
  writeRecords(15);
  const auto backup = dir_.path() / "backup.db";
  std::filesystem::copy_file(options().database, backup);  // closed: no WAL to copy
  writeRecords(10);
  const auto witness = readSignedHead(options().database);
  ASSERT_TRUE(witness.has_value());
  EXPECT_EQ(witness->sequence, 25u);
  EXPECT_TRUE(verify(50'000, witness).intact);
  // The witness round-trips through the JSON `ketenpoort log head` prints.
  const auto parsed = parseSignedHeadJson(signedHeadJson(*witness));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->signature, witness->signature);
  // A log that grew after the witness contains and extends it.
  writeRecords(3);
  EXPECT_TRUE(verify(50'000, parsed).intact);

  // Put the old copy back: consistent, signed, and 13 records short.
  std::filesystem::copy_file(backup, options().database, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(options().database.string() + "-wal");
  std::filesystem::remove(options().database.string() + "-shm");
  EXPECT_TRUE(verify().intact);
  const auto v = verify(50'000, parsed);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 16u);
  EXPECT_THAT(v.problem, HasSubstr("cut back"));
  // A witness that is not the key's own proves nothing.
  SignedHead forged = *parsed;
  forged.sequence = 10;
  EXPECT_THAT(verify(50'000, forged).problem, HasSubstr("witnessed head is not signed"));
}

TEST_F(ExchangeLogTest, ForgedCheckpointIsDetected) {
  writeRecords(30);
  tamper("UPDATE log_checkpoints SET seq = 31 WHERE seq = 30");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("not signed by the gateway's key"));
}

TEST_F(ExchangeLogTest, CheckpointFromAnotherKeyIsDetected) {
  writeRecords(12);
  // Verifying with someone else's public key: nothing the log says can be trusted.
  const auto other = LogSigner::loadOrCreate(dir_.path() / "other.key");
  const auto v = verifyExchangeLog(options().database, other.publicKeyPem());
  EXPECT_FALSE(v.intact);
}

// --- fail-closed ------------------------------------------------------------------------

TEST_F(ExchangeLogTest, LockedDatabaseFailsClosedAndRecovers) {
  SqliteExchangeLog log(options());
  ASSERT_TRUE(log.appendAndWait(record(1)).ok);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(options().database.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  const auto refused = log.appendAndWait(record(2));
  EXPECT_FALSE(refused.ok);
  EXPECT_THAT(refused.error, HasSubstr("locked"));
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.lastSequence(), 1u);  // the chain did not advance

  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  const auto again = log.appendAndWait(record(3));
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.sequence, 2u);  // no hole where the refused record would have been
  EXPECT_TRUE(log.healthy());
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
  EXPECT_NE(everything.find(referencer_.reference({SubjectKey::Kind::kBsn, kBsn})),
            std::string::npos);
}

}  // namespace
}  // namespace ketenpoort
