// The parts of a purge that are plain functions: which records a window gives up, the
// check of purge records against their runs, and when the daily purge runs. The purge on
// each store, and verification after it: store_contract_test.cpp.
#include <gmock/gmock.h>

#include "gateway/gateway_store/scheduled_purge.hpp"
#include "gateway/store/log_purge.hpp"
#include "gateway/store/log_signer.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

// A chain of records retained until the given days.
std::vector<PurgeCandidate> chainOf(const std::vector<std::string>& retained_until) {
  std::vector<PurgeCandidate> chain;
  std::string previous(32, '\0');
  for (std::size_t i = 0; i < retained_until.size(); ++i) {
    PurgeCandidate c;
    c.sequence = i + 1;
    c.columns[16] = retained_until[i];
    c.columns[0] = "transaction-" + std::to_string(i + 1);
    std::array<std::string_view, kHashedColumns.size()> views;
    for (std::size_t k = 0; k < views.size(); ++k) views[k] = c.columns[k];
    c.previous_hash = previous;
    c.record_hash = chainHash(previous, c.sequence, views);
    previous = c.record_hash;
    chain.push_back(std::move(c));
  }
  return chain;
}

TEST(PurgePlan, ConsecutiveExpiredRecordsFormRunsWithTheHashesAroundThem) {
  const auto chain = chainOf({"2026-12-01", "2026-12-01", "2026-12-09", "2026-12-03", "2026-12-04"});
  const PurgePlan plan = planPurge(chain, "2026-12-04");
  ASSERT_TRUE(plan.problem.empty()) << plan.problem;
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.runs[0].first, 1u);
  EXPECT_EQ(plan.runs[0].last, 2u);
  EXPECT_EQ(plan.runs[0].previous_hash, std::string(32, '\0'));
  EXPECT_EQ(plan.runs[0].last_hash, chain[1].record_hash);
  EXPECT_EQ(plan.runs[1].first, 4u);
  EXPECT_EQ(plan.runs[1].previous_hash, chain[2].record_hash);
  EXPECT_EQ(plan.removed, 3u);  // the 12-04 record is still within its retention that day
}

TEST(PurgePlan, ARetentionThatIsNoDateIsNeverJudgedExpired) {
  for (const char* odd : {"", "2026-1-01", "20261201xx", "0000-00-0x", "later"}) {
    EXPECT_EQ(planPurge(chainOf({odd, "2026-12-01"}), "2026-12-04").removed, 1u) << odd;
  }
  EXPECT_FALSE(planPurge(chainOf({"2026-12-01"}), "4 december").problem.empty());
}

TEST(PurgePlan, AnAlteredOrUnlinkedRecordStopsThePurge) {
  auto altered = chainOf({"2026-12-01", "2026-12-01", "2026-12-01"});
  altered[1].columns[3] = "another flow";
  EXPECT_THAT(planPurge(altered, "2026-12-04").problem, HasSubstr("record 2 was altered"));
  auto relinked = chainOf({"2026-12-01", "2026-12-01", "2026-12-01"});
  relinked[2] = chainOf({"2026-12-01", "2026-12-01", "2026-12-01"})[2];
  relinked[1] = chainOf({"x", "2026-12-01"})[1];  // a record 2 of another chain, consistent in itself
  EXPECT_FALSE(planPurge(relinked, "2026-12-04").problem.empty());
}

class PurgeRecordsTest : public ::testing::Test {
 protected:
  PurgeRecordsTest() : signer_(LogSigner::loadOrCreate(dir_.path() / "log-signing.key")) {}

  PurgeRecord signedFor(const std::vector<PurgedRun>& runs, const std::string& previous_digest, std::uint64_t id) {
    std::uint64_t removed = 0;
    for (const auto& r : runs) removed += r.length();
    PurgeRecord p{id,      "2026-12-04T03:30:00.000Z", "2026-12-04",    "retention-ended",
                  removed, purgedRunsDigest(runs),     previous_digest, {}};
    p.signature = signer_.sign(p.message());
    return p;
  }

  testing::TempDir dir_;
  LogSigner signer_;
};

TEST_F(PurgeRecordsTest, RunsOfChainedSignedPurgesAreMergedAndAnyChangeIsFound) {
  const std::vector<PurgedRun> first{{1, 2, std::string(32, '\0'), std::string(32, 'a')}};
  const std::vector<PurgedRun> second{{5, 5, std::string(32, 'b'), std::string(32, 'c')}};
  ChainPurges stored;
  stored.purges.push_back(signedFor(first, std::string(32, '\0'), 1));
  stored.purges.push_back(signedFor(second, purgeDigest(stored.purges[0]), 2));
  stored.runs = {first, second};
  const PurgeCheck fine = checkPurges(stored, signer_.publicKeyPem());
  ASSERT_TRUE(fine.problem.empty()) << fine.problem;
  EXPECT_EQ(fine.removed, 3u);
  ASSERT_EQ(fine.runs.size(), 2u);

  auto without_first = stored;
  without_first.purges.erase(without_first.purges.begin());
  without_first.runs.erase(without_first.runs.begin());
  EXPECT_FALSE(checkPurges(without_first, signer_.publicKeyPem()).problem.empty());

  auto overlapping = stored;
  overlapping.runs[1] = {{2, 2, std::string(32, 'b'), std::string(32, 'c')}};
  overlapping.purges[1] = signedFor(overlapping.runs[1], purgeDigest(stored.purges[0]), 2);
  EXPECT_THAT(checkPurges(overlapping, signer_.publicKeyPem()).problem, HasSubstr("two purge records claim"));

  auto other_key = stored;
  testing::TempDir elsewhere;
  const LogSigner stranger = LogSigner::loadOrCreate(elsewhere.path() / "k");
  other_key.purges[1].signature = stranger.sign(other_key.purges[1].message());
  EXPECT_THAT(checkPurges(other_key, signer_.publicKeyPem()).problem, HasSubstr("not signed"));
}

TEST(ScheduledPurgeTimes, TheNextRunIsTodayAtItsTimeOrTomorrow) {
  using namespace std::chrono;
  const sys_days d{year(2026) / 12 / 4};
  EXPECT_EQ(ScheduledPurge::nextRun(d + hours(1), minutes(210)), d + minutes(210));
  EXPECT_EQ(ScheduledPurge::nextRun(d + minutes(210), minutes(210)), d + minutes(210));
  EXPECT_EQ(ScheduledPurge::nextRun(d + minutes(211), minutes(210)), d + days(1) + minutes(210));
  EXPECT_EQ(ScheduledPurge::nextRun(d + hours(23) + minutes(59), minutes(0)), d + days(1));
}

}  // namespace
}  // namespace ketenpoort
