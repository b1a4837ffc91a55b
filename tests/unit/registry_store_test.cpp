// The registries on both stores (issue 26): consent, agreements, koppeling, as the
// decisions read them, each change logged, and a change made elsewhere (another process
// on the SQLite file, another node on the PostgreSQL database) holding for the next read.
#include <gmock/gmock.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "gateway/gateway_store/gateway_store.hpp"
#include "tests/support/store_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

CivilDate day(const char* iso) { return *parseIsoDate(iso); }

using testing::Backend;

class RegistryStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  GatewayConfig config(const std::string& node_id = "node-a") const {
    GatewayConfig c = backend_.config(node_id);
    c.storage_busy_timeout = std::chrono::milliseconds(200);  // a held lock fails a write quickly
    return c;
  }

  // The exchange-log rows of one kind, as (reason, consent/agreement id).
  std::vector<std::pair<std::string, std::string>> logged(const std::string& flow) const {
    const sql::Rows rows = backend_.rawSession()->run(
        "SELECT reason, consent_id || agreement_id FROM exchange_log WHERE flow = $1 ORDER BY seq",
        {std::string_view(flow)});
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < rows.size(); ++i) out.emplace_back(rows.text(i, 0), rows.text(i, 1));
    return out;
  }

  testing::TempDir dir_;
  testing::StoreBackend backend_{GetParam(), dir_.path()};
  std::unique_ptr<GatewayStore> gateway_store_ = std::make_unique<GatewayStore>(config());
  ExchangeLog* log_ = &gateway_store_->log();
  RegistryStore* store_ = &gateway_store_->registries();
  const SubjectKey person_{SubjectKey::Kind::kBsn, "725763863"};
  const Oin amsterdam_ = *Oin::parse("00000099200000000363");
};

TEST_P(RegistryStoreTest, ConsentIsActiveFromGrantUntilWithdrawalAndBothAreLogged) {
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
  EXPECT_EQ(listed[0].statusOn(day("2025-11-15")), ConsentStatus::kActive);
  EXPECT_EQ(listed[0].statusOn(day("2025-12-15")), ConsentStatus::kWithdrawn);
  EXPECT_EQ(listed[0].evidence_ref, "dms://toestemming/881");
}

// The decisions read an in-memory snapshot; a change another process makes to the same
// database (the consent CLI beside a running gateway, another node) holds for the very
// next read here. PostgreSQL's other nodes learn of it by a notification, so there "next"
// is within moments.
TEST_P(RegistryStoreTest, AChangeByAnotherProcessHoldsForTheNextDecision) {
  const CivilDate today = day("2025-11-01");
  ASSERT_FALSE(store_->findActive(person_, "elip", amsterdam_, today));  // the snapshot is loaded
  GatewayStore other_store(config("node-b"));
  RegistryStore& other = other_store.registries();
  // Holds at the next decision on SQLite; within moments on another PostgreSQL node.
  const auto holds = [this](const std::function<bool()>& condition) {
    return backend_.postgresql() ? testing::waitUntil(condition, std::chrono::seconds(10)) : condition();
  };
  const auto granted =
      other.grantConsent({person_, "elip", amsterdam_, "dms://toestemming/882", day("2025-10-01"), std::nullopt});
  ASSERT_TRUE(granted.ok) << granted.error;
  EXPECT_TRUE(holds([&] { return store_->findActive(person_, "elip", amsterdam_, today) == granted.id; }));
  ASSERT_TRUE(other.withdrawConsent(granted.id, day("2025-10-15")).ok);
  EXPECT_TRUE(holds([&] { return !store_->findActive(person_, "elip", amsterdam_, today); }));
  EXPECT_EQ(store_->consent(granted.id)->statusOn(today), ConsentStatus::kWithdrawn);
  // And a change made here holds there, and here, at once.
  const auto again =
      store_->grantConsent({person_, "elip", amsterdam_, "dms://toestemming/883", day("2025-10-20"), std::nullopt});
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(store_->findActive(person_, "elip", amsterdam_, today), again.id);
  EXPECT_TRUE(holds([&] { return other.findActive(person_, "elip", amsterdam_, today) == again.id; }));
}

TEST_P(RegistryStoreTest, WithdrawingTwiceIsRefusedAndNotLogged) {
  const auto granted = store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt});
  ASSERT_TRUE(store_->withdrawConsent(granted.id, day("2025-11-01")).ok);
  const auto before = log_->lastSequence();
  const auto again = store_->withdrawConsent(granted.id, day("2025-11-02"));
  EXPECT_FALSE(again.ok);
  EXPECT_THAT(again.error, HasSubstr("already withdrawn"));
  EXPECT_EQ(log_->lastSequence(), before);
  EXPECT_FALSE(store_->withdrawConsent("consent-unknown", day("2025-11-02")).ok);
}

// The database is locked by someone else past the store's timeout: the write fails closed.
TEST_P(RegistryStoreTest, AChangeThatCannotBeLoggedDoesNotHappen) {
  const auto holder = backend_.rawSession();
  if (backend_.postgresql()) {
    holder->execute("BEGIN; LOCK TABLE consents IN ACCESS EXCLUSIVE MODE");
  } else {
    holder->execute("BEGIN IMMEDIATE");
  }
  const auto refused = store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt});
  holder->execute("ROLLBACK");
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(store_->findActive(person_, "elip", amsterdam_, day("2025-11-01")));
  EXPECT_TRUE(store_->listConsents(person_).empty());
}

TEST_P(RegistryStoreTest, AgreementsAreValidInTheirPeriodAndOnlyChangesAreLogged) {
  AgreementEntry a{"vwo-2025-017",    "taalschool-a",      "elip", "0363", day("2025-01-01"),
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

TEST_P(RegistryStoreTest, KoppelingIsWrittenWithItsExchangeAndALaterOneTakesOver) {
  ExchangeRecord profiel;
  profiel.flow = "coa.klantprofiel";
  profiel.transaction_id = "0190f3a0-0000-7000-8000-000000000001";
  ASSERT_TRUE(
      log_->appendAndWait(profiel, store_->koppelingChange(person_, "0363", day("2025-09-24"), profiel.transaction_id))
          .ok);
  EXPECT_FALSE(store_->gemeenteOf(person_, day("2025-09-23")));
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-09-24")), "0363");
  profiel.transaction_id = "0190f3a0-0000-7000-8000-000000000002";
  ASSERT_TRUE(
      log_->appendAndWait(profiel, store_->koppelingChange(person_, "0518", day("2025-11-01"), profiel.transaction_id))
          .ok);
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-10-31")), "0363");
  EXPECT_EQ(store_->gemeenteOf(person_, day("2025-11-01")), "0518");
}

TEST_P(RegistryStoreTest, NoBsnInTheRegistriesEither) {
  ASSERT_TRUE(store_->grantConsent({person_, "elip", amsterdam_, "ref", day("2025-10-01"), std::nullopt}).ok);
  ASSERT_TRUE(
      log_->appendAndWait(ExchangeRecord{}, store_->koppelingChange(person_, "0363", day("2025-09-24"), "t")).ok);
  // Every byte the database holds: the file and its WAL, or every registry row as text.
  std::string everything;
  if (backend_.postgresql()) {
    const sql::Rows rows = backend_.rawSession()->run(
        "SELECT t::text FROM koppeling t UNION ALL SELECT t::text FROM consents t UNION ALL "
        "SELECT t::text FROM identity_links t UNION ALL SELECT t::text FROM registry_changes t");
    for (int i = 0; i < rows.size(); ++i) everything += rows.text(i, 0);
  } else {
    const auto file = config().storage_path;
    for (const auto& path : {file, std::filesystem::path(file.string() + "-wal")}) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      everything += bytes.str();
    }
  }
  EXPECT_EQ(everything.find(person_.value), std::string::npos);
  EXPECT_NE(everything.find(gateway_store_->referencer().reference(person_)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgresql),
                         testing::BackendNamed());

}  // namespace
}  // namespace ketenpoort
