// The exchange log's chain on both stores (issue 26): durable appends from many threads
// and processes, the audit's reads, every tamper case named by its first bad sequence,
// a witnessed head against a rollback, and fail-closed writes. What only the SQLite file
// has (its WAL, its layouts, a full or read-only disk): exchange_log_test.cpp.
#include <gmock/gmock.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/log_signer.hpp"
#include "gateway/store/record_codec.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/support/log_fill.hpp"
#include "tests/support/store_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using testing::Backend;
using ::testing::HasSubstr;

constexpr const char* kBsn = "725763863";  // synthetic

class ExchangeChainTest : public ::testing::TestWithParam<Backend> {
 protected:
  GatewayConfig config() const {
    GatewayConfig c = backend_->config();
    c.checkpoint_every_records = 10;
    c.storage_busy_timeout = std::chrono::milliseconds(200);  // a held lock fails a group quickly
    return c;
  }

  ExchangeRecord record(int i) const {
    return testing::sampleRecord(i, referencer_.reference({SubjectKey::Kind::kBsn, kBsn}));
  }

  // Appends n records (and closes the store, which writes a final checkpoint).
  void writeRecords(int n) {
    GatewayStore store(config());
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store.log().appendAndWait(record(i)).ok);
  }

  std::string publicKey() const {
    std::ifstream in(config().keyDirectory() / "log-signing.key.pub");
    std::stringstream pem;
    pem << in.rdbuf();
    return pem.str();
  }

  // The one chain verified as `ketenpoort log verify` does; ranges_of: records per
  // verification range (small values make the verifier split even these short logs).
  LogVerification verify(std::uint64_t ranges_of = 50'000, const std::optional<SignedHead>& witness = std::nullopt,
                         const std::string& key = {}) const {
    const std::string pem = key.empty() ? publicKey() : key;
    if (!backend_->postgresql()) return verifyExchangeLog(config().storage_path, pem, witness, ranges_of);
    std::vector<WitnessedHead> witnesses;
    if (witness) witnesses.push_back({*witness, "node-a"});
    const PgLogVerification v = verifyPgLog(backend_->database().dsn(), {{"node-a", pem}}, witnesses, ranges_of);
    LogVerification chain = v.nodes.empty() ? LogVerification{} : v.nodes.front().verification;
    if (!v.problem.empty()) {
      chain.intact = false;
      chain.problem = v.problem;
    }
    return chain;
  }

  std::optional<SignedHead> signedHead() const {
    if (!backend_->postgresql()) return readSignedHead(config().storage_path);
    const auto heads = readPgSignedHeads(backend_->database().dsn());
    const auto found = heads.find("node-a");
    if (found == heads.end()) return std::nullopt;
    return found->second;
  }

  // What someone with access to the database does.
  void tamper(const std::string& sql) const { backend_->execute(sql); }

  // A forger without the signing key: rewrites previous_hash/record_hash of every record
  // from `first` on so the chain is internally consistent again, starting from `previous`.
  void recomputeChainFrom(std::int64_t first, std::string previous) const {
    const auto session = backend_->rawSession();
    std::string sql = "SELECT seq";
    for (auto c : kHashedColumns) sql += ", " + std::string(c);
    const sql::Rows rows = session->run(sql + " FROM exchange_log WHERE seq >= $1 ORDER BY seq", {first});
    for (int i = 0; i < rows.size(); ++i) {
      std::array<std::string_view, kHashedColumns.size()> views;
      for (std::size_t c = 0; c < views.size(); ++c) views[c] = rows.text(i, static_cast<int>(c) + 1);
      const auto seq = rows.integer(i, 0);
      const std::string hash = chainHash(previous, static_cast<std::uint64_t>(seq), views);
      session->run("UPDATE exchange_log SET previous_hash = $1, record_hash = $2 WHERE seq = $3",
                   {sql::Blob{previous}, sql::Blob{hash}, seq});
      previous = hash;
    }
  }

  // Sets a record's link to its predecessor to zeros.
  void unlink(std::int64_t seq) const {
    const std::string zeros(32, '\0');
    backend_->rawSession()->run("UPDATE exchange_log SET previous_hash = $1 WHERE seq = $2", {sql::Blob{zeros}, seq});
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::StoreBackend> backend_ = std::make_unique<testing::StoreBackend>(GetParam(), dir_.path());
  SubjectReferencer referencer_{std::string(32, 'k')};
};

TEST_P(ExchangeChainTest, AppendsAreNumberedAndTheChainVerifies) {
  {
    GatewayStore store(config());
    for (int i = 1; i <= 25; ++i) {
      const auto r = store.log().appendAndWait(record(i));
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.sequence, static_cast<std::uint64_t>(i));
    }
    EXPECT_TRUE(store.log().healthy());
  }
  const auto v = verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 25u);
  EXPECT_GE(v.checkpoints_checked, 2u);  // every 10 records, and one at close
}

TEST_P(ExchangeChainTest, TheChainContinuesAcrossRestarts) {
  writeRecords(7);
  {
    GatewayStore store(config());
    EXPECT_EQ(store.log().appendAndWait(record(8)).sequence, 8u);
  }
  EXPECT_TRUE(verify().intact) << verify().problem;
}

// The gateway and a CLI process recording an audit query both append, to the one file or
// as the same node.
TEST_P(ExchangeChainTest, TwoWritersOfOneChainKeepOneChain) {
  {
    GatewayStore gateway(config());
    GatewayStore cli(config());
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE((i % 3 == 0 ? cli : gateway).log().appendAndWait(record(i)).ok) << i;
    }
    EXPECT_EQ(gateway.log().appendAndWait(record(99)).sequence, 31u);
  }
  const auto v = verify(5);
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 31u);
}

TEST_P(ExchangeChainTest, ConcurrentAppendsAreAllDurableAndChained) {
  {
    GatewayStore store(config());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 250; ++i) {
          if (!store.log().appendAndWait(record(t * 1000 + i)).ok) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(store.log().lastSequence(), 2000u);
  }
  const auto v = verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 2000u);
}

TEST_P(ExchangeChainTest, RecordsAreFoundByTransactionAndByQuery) {
  GatewayStore store(config());
  ExchangeLog& log = store.log();
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
  // A person's records, under whatever pseudonym period their retention put them.
  ExchangeQuery person;
  person.organisation_oin = "00000099200000000363";
  person.subject_ref = referencer_.reference({SubjectKey::Kind::kBsn, kBsn});
  EXPECT_EQ(log.findExchanges(person).size(), 1u);
  person.subject_ref = referencer_.reference({SubjectKey::Kind::kBsn, "111222333"});
  EXPECT_TRUE(log.findExchanges(person).empty());
}

TEST_P(ExchangeChainTest, AuditSearchesComeInKeysetPagesOfTheOrganisationsOwnRecords) {
  const std::string amsterdam = "00000099200000000363";
  const std::string utrecht = "00000099200000000344";
  GatewayStore store(config());
  ExchangeLog& log = store.log();
  // Amsterdam as recipient, as sender, as both; Utrecht's records in between; and one of
  // the gateway's own records about Amsterdam.
  std::vector<std::string> amsterdams;
  for (int i = 0; i < 30; ++i) {
    ExchangeRecord r = record(i);
    switch (i % 5) {
      case 0:
        r.recipient_oin = utrecht;
        break;
      case 1:
        r.sender_oin = amsterdam;
        r.recipient_oin = "00000099100000000002";
        break;
      case 2:
        r.sender_oin = amsterdam;
        r.recipient_oin = amsterdam;
        break;
      case 3:
        r.flow = "ketenpoort.audit-query";
        r.sender_oin = amsterdam;
        break;
      default:
        break;  // to Amsterdam
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
      EXPECT_GT(e.sequence, last) << "in order, each record once";
      last = e.sequence;
      seen.push_back(e.record.transaction_id);
      EXPECT_TRUE(e.record.sender_oin == amsterdam || e.record.recipient_oin == amsterdam);
      EXPECT_NE(e.record.flow, "ketenpoort.audit-query");
    }
    if (found.size() < query.limit) break;
    query.after_sequence = found.back().sequence;
  }
  EXPECT_EQ(seen, amsterdams);
  // Newest first, the same records backwards.
  ExchangeQuery backwards;
  backwards.organisation_oin = amsterdam;
  backwards.exchanges_only = true;
  backwards.newest_first = true;
  std::vector<std::string> reversed;
  for (const auto& e : log.findExchanges(backwards)) reversed.push_back(e.record.transaction_id);
  EXPECT_EQ(reversed, std::vector<std::string>(amsterdams.rbegin(), amsterdams.rend()));
  // Without exchanges_only the gateway's own records are there too; without a limit, all.
  ExchangeQuery all;
  all.organisation_oin = amsterdam;
  EXPECT_EQ(log.findExchanges(all).size(), amsterdams.size() + 6);
}

// --- tampering: every case names the first bad sequence number ---------------------

TEST_P(ExchangeChainTest, ChangedFieldIsDetected) {
  writeRecords(30);
  tamper("UPDATE exchange_log SET purpose = 'ontzorgen' WHERE seq = 17");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 17u);
  EXPECT_THAT(v.problem, HasSubstr("altered"));
}

TEST_P(ExchangeChainTest, ChangedWithholdingIsDetected) {
  writeRecords(5);
  tamper("UPDATE exchange_log SET fields_withheld = '[]' WHERE seq = 3");
  EXPECT_EQ(verify().first_bad_sequence, 3u);
}

TEST_P(ExchangeChainTest, ChangedChainLinkIsDetected) {
  writeRecords(5);
  unlink(4);
  const auto v = verify();
  EXPECT_EQ(v.first_bad_sequence, 4u);
  EXPECT_THAT(v.problem, HasSubstr("does not follow its predecessor"));
}

TEST_P(ExchangeChainTest, ChangedLookupKeyIsDetected) {
  writeRecords(5);
  // Hiding record 2 from an access report by BSN.
  tamper("UPDATE exchange_log SET subject_key = 42 WHERE seq = 2");
  const auto v = verify();
  EXPECT_EQ(v.first_bad_sequence, 2u);
  EXPECT_THAT(v.problem, HasSubstr("lookup key"));
}

TEST_P(ExchangeChainTest, RangesVerifiedInParallelLinkUp) {
  writeRecords(40);
  const auto v = verify(4);  // ten ranges, at most one per core at a time
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records_checked, 40u);
  EXPECT_EQ(v.checkpoints_checked, 4u);
}

TEST_P(ExchangeChainTest, TamperingAtARangeBoundaryIsDetected) {
  writeRecords(40);
  const std::uint64_t first_of_second_range = 1 + 40 / std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  unlink(static_cast<std::int64_t>(first_of_second_range));
  const auto linked = verify(4);
  EXPECT_FALSE(linked.intact);
  EXPECT_EQ(linked.first_bad_sequence, first_of_second_range);
  EXPECT_EQ(linked.records_checked, first_of_second_range - 1);
}

TEST_P(ExchangeChainTest, DeletionAtARangeBoundaryIsDetected) {
  writeRecords(40);
  tamper("DELETE FROM exchange_log WHERE seq = 21");
  for (std::uint64_t ranges_of : {1u, 4u, 20u, 50'000u}) {
    const auto v = verify(ranges_of);
    EXPECT_FALSE(v.intact) << ranges_of;
    EXPECT_EQ(v.first_bad_sequence, 21u) << ranges_of;
  }
}

TEST_P(ExchangeChainTest, DeletedRecordIsDetected) {
  writeRecords(30);
  tamper("DELETE FROM exchange_log WHERE seq = 12");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 12u);
  EXPECT_THAT(v.problem, HasSubstr("missing"));
}

// A copy of another record put into the chain (at 12, or after its end).
std::string copiedRecord(bool postgresql, int seq, int from, const char* previous_hash) {
  std::string columns = "seq";
  std::string values = std::to_string(seq);
  for (auto c : kHashedColumns) {
    columns += ", " + std::string(c);
    values += ", " + std::string(c);
  }
  columns += ", previous_hash, record_hash, subject_key, node_id";
  values += std::string(", ") + previous_hash + ", record_hash, subject_key, node_id";
  if (postgresql) {  // the position that orders every node's records
    columns += ", position";
    values += ", (SELECT MAX(position) + 1 FROM exchange_log)";
  }
  return "INSERT INTO exchange_log (" + columns + ") SELECT " + values +
         " FROM exchange_log WHERE seq = " + std::to_string(from);
}

TEST_P(ExchangeChainTest, InsertedRecordIsDetected) {
  writeRecords(30);
  // Make room at 12 and copy a record into it, as a forger would.
  tamper(
      "UPDATE exchange_log SET seq = seq + 1000 WHERE seq >= 12;"
      "UPDATE exchange_log SET seq = seq - 999 WHERE seq >= 1012;" +
      copiedRecord(backend_->postgresql(), 12, 11, "previous_hash"));
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 12u);
}

TEST_P(ExchangeChainTest, AppendedForgeryIsDetected) {
  writeRecords(5);
  tamper(copiedRecord(backend_->postgresql(), 6, 5, "record_hash"));
  EXPECT_EQ(verify().first_bad_sequence, 6u);
}

TEST_P(ExchangeChainTest, ReorderedRecordsAreDetected) {
  writeRecords(30);
  tamper(
      "UPDATE exchange_log SET seq = -1 WHERE seq = 8;"
      "UPDATE exchange_log SET seq = 8 WHERE seq = 9;"
      "UPDATE exchange_log SET seq = 9 WHERE seq = -1");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 8u);
}

TEST_P(ExchangeChainTest, TruncationBelowASignedCheckpointIsDetected) {
  writeRecords(30);  // checkpoints at 10, 20, 30
  tamper("DELETE FROM exchange_log WHERE seq > 24");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 25u);
  EXPECT_THAT(v.problem, HasSubstr("checkpoint vouches for record 30"));
}

TEST_P(ExchangeChainTest, RecomputedChainWithoutTheKeyIsDetected) {
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

TEST_P(ExchangeChainTest, RewrittenTailWithItsCheckpointsDeletedIsDetectedAtTheLink) {
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
TEST_P(ExchangeChainTest, ACutTailIsDetectedWhateverElseIsCutWithIt) {
  int fresh = 0;
  const auto cut = [&](const std::string& sql) -> LogVerification {
    // A store of its own for each case.
    backend_ = std::make_unique<testing::StoreBackend>(GetParam(), dir_.path() / std::to_string(++fresh));
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
  v =
      cut("DELETE FROM exchange_log WHERE seq > 22; DELETE FROM log_checkpoints WHERE seq > 22; "
          "DELETE FROM log_heads");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("no signed head"));
  // A head moved back without the key.
  v =
      cut("DELETE FROM exchange_log WHERE seq > 22; UPDATE log_heads SET seq = 22, "
          "record_hash = (SELECT record_hash FROM exchange_log WHERE seq = 22)");
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("head is not signed"));
}

// A log put back to an older, consistent, signed state (a backup restored, or the rows and
// the head of that time written back) verifies on its own; a witness of a later head
// exposes it.
TEST_P(ExchangeChainTest, AWitnessedHeadExposesALogRolledBackToAnOlderConsistentState) {
  writeRecords(15);  // checkpoints at 10 and (closing) 15, the head at 15
  const auto older = signedHead();
  ASSERT_TRUE(older.has_value());
  writeRecords(10);
  const auto witness = signedHead();
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

  // Back to the state at 15: consistent, signed, and 13 records short.
  tamper("DELETE FROM exchange_log WHERE seq > 15; DELETE FROM log_checkpoints WHERE seq > 15");
  backend_->rawSession()->run(
      "UPDATE log_heads SET seq = $1, record_hash = $2, created_utc = $3, checkpoint_digest = $4, signature = $5",
      {static_cast<std::int64_t>(older->sequence), sql::Blob{older->record_hash}, std::string_view(older->created_utc),
       sql::Blob{older->checkpoint_digest}, sql::Blob{older->signature}});
  EXPECT_TRUE(verify().intact) << verify().problem;
  const auto v = verify(50'000, parsed);
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_bad_sequence, 16u);
  EXPECT_THAT(v.problem, HasSubstr("cut back"));
  // A witness that is not the key's own proves nothing.
  SignedHead forged = *parsed;
  forged.sequence = 10;
  EXPECT_THAT(verify(50'000, forged).problem, HasSubstr("witnessed head is not signed"));
}

TEST_P(ExchangeChainTest, ForgedCheckpointIsDetected) {
  writeRecords(30);
  tamper("UPDATE log_checkpoints SET seq = 31 WHERE seq = 30");
  const auto v = verify();
  EXPECT_FALSE(v.intact);
  EXPECT_THAT(v.problem, HasSubstr("not signed by the gateway's key"));
}

TEST_P(ExchangeChainTest, CheckpointFromAnotherKeyIsDetected) {
  writeRecords(12);
  // Verifying with someone else's public key: nothing the log says can be trusted.
  const auto other = LogSigner::loadOrCreate(dir_.path() / "other.key");
  EXPECT_FALSE(verify(50'000, std::nullopt, other.publicKeyPem()).intact);
}

// --- fail-closed ------------------------------------------------------------------------

// Another process holds the database's lock past the store's timeout (SQLite's write
// lock; a PostgreSQL lock on the log's table).
TEST_P(ExchangeChainTest, ALockedLogFailsClosedAndRecovers) {
  GatewayStore store(config());
  ExchangeLog& log = store.log();
  ASSERT_TRUE(log.appendAndWait(record(1)).ok);
  const auto holder = backend_->rawSession();
  holder->execute(backend_->postgresql() ? "BEGIN; LOCK TABLE exchange_log IN ACCESS EXCLUSIVE MODE"
                                         : "BEGIN IMMEDIATE");
  const auto refused = log.appendAndWait(record(2));
  EXPECT_FALSE(refused.ok);
  EXPECT_THAT(refused.error, HasSubstr("lock"));
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.lastSequence(), 1u);  // the chain did not advance

  holder->execute("ROLLBACK");
  const auto again = log.appendAndWait(record(3));
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.sequence, 2u);  // no hole where the refused record would have been
  EXPECT_TRUE(log.healthy());
}

// The records hold keyed references, never the number.
TEST_P(ExchangeChainTest, NoBsnInTheLog) {
  std::string transaction;
  {
    GatewayStore store(config());
    for (int i = 0; i < 20; ++i) {
      const ExchangeRecord r = record(i);
      transaction = r.transaction_id;
      ASSERT_TRUE(store.log().appendAndWait(r).ok);
    }
  }
  // Every text the log's rows hold.
  std::string everything;
  std::string columns = "seq";
  for (auto c : kHashedColumns) columns += " || '|' || " + std::string(c);
  const sql::Rows rows = backend_->rawSession()->run("SELECT " + columns + " FROM exchange_log");
  for (int i = 0; i < rows.size(); ++i) everything += rows.text(i, 0);
  EXPECT_EQ(everything.find(kBsn), std::string::npos);
  EXPECT_NE(everything.find(transaction), std::string::npos) << "the test looks in the right place";
}

INSTANTIATE_TEST_SUITE_P(Backends, ExchangeChainTest, ::testing::Values(Backend::kSqlite, Backend::kPostgresql),
                         testing::BackendNamed());

}  // namespace
}  // namespace ketenpoort
