#include <gmock/gmock.h>

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/sqlite_store/sqlite_registry_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

CivilDate day(const char* iso) { return *parseIsoDate(iso); }

class RegistryStoreTest : public ::testing::Test {
 protected:
  RegistryStoreTest() {
    options_.database = dir_.path() / "ketenpoort.db";
    options_.signing_key = dir_.path() / "log-signing.key";
    options_.busy_timeout = std::chrono::milliseconds(100);
    log_ = std::make_unique<SqliteExchangeLog>(options_);
    store_ = std::make_unique<SqliteRegistryStore>(options_.database, referencer_, *log_);
  }

  // The exchange-log rows of one kind, as (reason, consent/agreement id).
  std::vector<std::pair<std::string, std::string>> logged(const std::string& flow) const {
    std::vector<std::pair<std::string, std::string>> out;
    sqlite3* db = nullptr;
    sqlite3_open(options_.database.c_str(), &db);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT reason, consent_id || agreement_id FROM exchange_log WHERE flow = ?1 ORDER BY seq",
                       -1, &q, nullptr);
    sqlite3_bind_text(q, 1, flow.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(q) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                       reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
  }

  testing::TempDir dir_;
  ExchangeLogOptions options_;
  SubjectReferencer referencer_{std::string(32, 's')};
  std::unique_ptr<SqliteExchangeLog> log_;
  std::unique_ptr<RegistryStore> store_;
  const SubjectKey person_{SubjectKey::Kind::kBsn, "725763863"};
  const Oin amsterdam_ = *Oin::parse("00000099200000000363");
};

TEST_F(RegistryStoreTest, ConsentIsActiveFromGrantUntilWithdrawalAndBothAreLogged) {
  const auto granted = store_->grantConsent(
      {person_, "elip", amsterdam_, "dms://toestemming/881", day("2025-10-01"), day("2026-10-01")});
  ASSERT_TRUE(granted.ok) << granted.error;
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, day("2025-09-30")));
  EXPECT_EQ(store_->findActive(person_, "elip", amsterdam_, day("2025-10-01")), granted.id);
  EXPECT_FALSE(store_->findActive(person_, "ontzorgen", amsterdam_, day("2025-11-01")));
  EXPECT_FALSE(store_->findActive(person_, "elip", *Oin::parse("00000099200000000518"), day("2025-11-01")));
  EXPECT_FALSE(store_->findActive({SubjectKey::Kind::kBsn, "162275869"}, "elip", amsterdam_, day("2025-11-01")));
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, day("2026-10-01")));  // expired

  const auto withdrawn = store_->withdrawConsent(granted.id, day("2025-12-01"));
  ASSERT_TRUE(withdrawn.ok) << withdrawn.error;
  EXPECT_TRUE(store_->findActive(person_, "elip", amsterdam_, day("2025-11-30")));
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, day("2025-12-01")));

  const auto records = logged("ketenpoort.consent");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], std::make_pair(std::string("consent-granted"), granted.id));
  EXPECT_EQ(records[1], std::make_pair(std::string("consent-withdrawn"), granted.id));

  const auto listed = store_->listConsents(person_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].statusOn(day("2025-11-15")), "active");
  EXPECT_EQ(listed[0].statusOn(day("2025-12-15")), "withdrawn");
  EXPECT_EQ(listed[0].evidence_ref, "dms://toestemming/881");
}

// The decisions read an in-memory snapshot; a change another process makes to the same
// database (the consent CLI beside a running gateway) holds for the very next read.
TEST_F(RegistryStoreTest, AChangeByAnotherProcessHoldsForTheNextDecision) {
  const CivilDate today = day("2025-11-01");
  ASSERT_FALSE(store_->findActive(person_, "elip", amsterdam_, today));  // the snapshot is loaded
  SqliteExchangeLog other_log(options_);
  SqliteRegistryStore other(options_.database, referencer_, other_log);
  const auto granted = other.grantConsent(
      {person_, "elip", amsterdam_, "dms://toestemming/882", day("2025-10-01"), std::nullopt});
  ASSERT_TRUE(granted.ok) << granted.error;
  EXPECT_EQ(store_->findActive(person_, "elip", amsterdam_, today), granted.id);
  ASSERT_TRUE(other.withdrawConsent(granted.id, day("2025-10-15")).ok);
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, today));
  EXPECT_EQ(store_->consent(granted.id)->statusOn(today), "withdrawn");
  // And a change made here holds there, and here, at once.
  const auto again = store_->grantConsent(
      {person_, "elip", amsterdam_, "dms://toestemming/883", day("2025-10-20"), std::nullopt});
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(store_->findActive(person_, "elip", amsterdam_, today), again.id);
  EXPECT_EQ(other.findActive(person_, "elip", amsterdam_, today), again.id);
}

TEST_F(RegistryStoreTest, WithdrawingTwiceIsRefusedAndNotLogged) {
  const auto granted = store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt});
  ASSERT_TRUE(store_->withdrawConsent(granted.id, day("2025-11-01")).ok);
  const auto before = log_->lastSequence();
  const auto again = store_->withdrawConsent(granted.id, day("2025-11-02"));
  EXPECT_FALSE(again.ok);
  EXPECT_THAT(again.error, HasSubstr("already withdrawn"));
  EXPECT_EQ(log_->lastSequence(), before);
  EXPECT_FALSE(store_->withdrawConsent("consent-unknown", day("2025-11-02")).ok);
}

TEST_F(RegistryStoreTest, AChangeThatCannotBeLoggedDoesNotHappen) {
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(options_.database.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto refused = store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt});
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, day("2025-11-01")));
  EXPECT_TRUE(store_->listConsents(person_).empty());
}

TEST_F(RegistryStoreTest, AgreementsAreValidInTheirPeriodAndOnlyChangesAreLogged) {
  AgreementEntry a{"vwo-2025-017", "taalschool-a", "elip", "0363", day("2025-01-01"),
                   day("2025-12-31"), "dms://vwo/2025-017"};
  ASSERT_TRUE(store_->upsertAgreement(a).ok);
  EXPECT_EQ(store_->findValid("taalschool-a", "elip", "0363", day("2025-12-31")), "vwo-2025-017");
  EXPECT_FALSE(store_->findValid("taalschool-a", "elip", "0363", day("2026-01-01")));
  EXPECT_FALSE(store_->findValid("taalschool-a", "elip", "0518", day("2025-06-01")));
  EXPECT_FALSE(store_->findValid("taalschool-b", "elip", "0363", day("2025-06-01")));
  ASSERT_TRUE(store_->upsertAgreement(a).ok);  // a restart seeding the same agreement
  EXPECT_EQ(logged("ketenpoort.agreement").size(), 1u);
  a.valid_until = day("2026-12-31");
  ASSERT_TRUE(store_->upsertAgreement(a).ok);
  EXPECT_EQ(logged("ketenpoort.agreement").size(), 2u);
  EXPECT_TRUE(store_->findValid("taalschool-a", "elip", "0363", day("2026-06-01")));
}

TEST_F(RegistryStoreTest, KoppelingIsWrittenWithItsExchangeAndALaterOneTakesOver) {
  ExchangeRecord profiel;
  profiel.flow = "coa.klantprofiel";
  profiel.transaction_id = "0190f3a0-0000-7000-8000-000000000001";
  ASSERT_TRUE(log_->appendAndWait(
                      profiel, store_->koppelingChange(person_, "0363", day("2025-09-24"),
                                                       profiel.transaction_id))
                  .ok);
  EXPECT_FALSE(store_->gemeenteOf(person_, day("2025-09-23")));
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-09-24")), "0363");
  profiel.transaction_id = "0190f3a0-0000-7000-8000-000000000002";
  ASSERT_TRUE(log_->appendAndWait(
                      profiel, store_->koppelingChange(person_, "0518", day("2025-11-01"),
                                                       profiel.transaction_id))
                  .ok);
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-10-31")), "0363");
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-11-01")), "0518");
}

TEST_F(RegistryStoreTest, NoBsnInTheRegistriesEither) {
  ASSERT_TRUE(store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt}).ok);
  ASSERT_TRUE(log_->appendAndWait(
                      ExchangeRecord{}, store_->koppelingChange(person_, "0363", day("2025-09-24"), "t"))
                  .ok);
  std::string everything;
  for (const auto& file : {options_.database, std::filesystem::path(options_.database.string() + "-wal")}) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    everything += bytes.str();
  }
  EXPECT_EQ(everything.find(person_.value), std::string::npos);
  EXPECT_NE(everything.find(referencer_.reference(person_)), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort
