// The pseudonym keys' wrapping and lifecycle, on both stores' key tables (ADR 0020).
#include <gtest/gtest.h>

#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/pseudonym_keys.hpp"
#include "gateway/store/sql_pseudonym_keys.hpp"
#include "tests/support/store_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

const std::string kWrappingKey(32, 'w');
const std::string kKey(32, 'k');

TEST(PseudonymKeyWrapping, UnwrapsOnlyWithItsKeyForItsPeriodUnaltered) {
  const std::string wrapped = wrapPseudonymKey(kWrappingKey, 2031, kKey);
  EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2031, wrapped), kKey);
  EXPECT_NE(wrapPseudonymKey(kWrappingKey, 2031, kKey), wrapped) << "a fresh nonce every time";
  EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2030, wrapped), std::nullopt) << "moved to another year";
  EXPECT_EQ(unwrapPseudonymKey(std::string(32, 'x'), 2031, wrapped), std::nullopt);
  for (std::size_t at : {std::size_t{0}, wrapped.size() / 2, wrapped.size() - 1}) {
    std::string altered = wrapped;
    altered[at] = altered[at] == '0' ? '1' : '0';
    EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2031, altered), std::nullopt) << at;
  }
  EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2031, ""), std::nullopt);
  EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2031, wrapped.substr(2)), std::nullopt);
  EXPECT_EQ(unwrapPseudonymKey(kWrappingKey, 2031, "zz" + wrapped.substr(2)), std::nullopt);
}

using testing::Backend;

class PseudonymKeyringTest : public ::testing::TestWithParam<Backend> {
 protected:
  PseudonymKeyringTest() {
    // The store makes the table (and its own keys, under its own subject key: gone, so
    // that the keys below are the only ones).
    GatewayStore(backend_.config()).log().appendAndWait(ExchangeRecord{});
    backend_.execute("DELETE FROM pseudonym_keys");
  }

  // A key store as a process of its own has it: a session per call.
  SqlPseudonymKeys keyStore() const {
    return SqlPseudonymKeys([this] { return backend_.rawSession(); });
  }

  testing::TempDir dir_;
  testing::StoreBackend backend_{GetParam(), dir_.path()};
  SubjectReferencer subject_key_{std::string(32, 's')};
};

TEST_P(PseudonymKeyringTest, PreparesTheComingYearsAndKeepsThemAcrossRestarts) {
  SqlPseudonymKeys store = keyStore();
  const std::string person = subject_key_.reference({SubjectKey::Kind::kBsn, "999990019"});
  std::string reference_2031;
  {
    PseudonymKeyring keys(subject_key_, store);
    keys.prepare(*parseIsoDate("2026-12-04"), 2);
    std::vector<int> periods;
    for (const auto& p : keys.periods()) periods.push_back(p.period);
    EXPECT_EQ(periods, (std::vector<int>{2026, 2027, 2028}));
    reference_2031 = keys.recordReference(person, "2031-06-30", "2026-12-04");  // made on demand
    EXPECT_EQ(keys.periods().back().period, 2031);
    EXPECT_EQ(keys.recordReference(person, "2031-01-01", "2026-12-04"), reference_2031);
    EXPECT_NE(keys.recordReference(person, "2030-12-31", "2026-12-04"), reference_2031);
    // No valid retention: the subject reference as it is (never purged, never expires).
    EXPECT_EQ(keys.recordReference(person, "", "2026-12-04"), person);
    EXPECT_EQ(keys.recordReference(person, "31-12-2031", "2026-12-04"), person);
    // Retention already over when made: the record's own year.
    EXPECT_EQ(keys.recordReference(person, "2020-01-01", "2028-05-05"),
              keys.recordReference(person, "2028-12-31", "2026-12-04"));
  }
  PseudonymKeyring again(subject_key_, store);
  again.prepare(*parseIsoDate("2026-12-04"), 0);
  EXPECT_EQ(again.recordReference(person, "2031-06-30", "2026-12-04"), reference_2031);
  const auto refs = again.referencesOf(person);
  EXPECT_EQ(refs.front(), person);
  EXPECT_NE(std::find(refs.begin(), refs.end(), reference_2031), refs.end());
}

TEST_P(PseudonymKeyringTest, DestroysOnlyTheYearsBeforeTheDayAndNeverMakesThemAgain) {
  SqlPseudonymKeys store = keyStore();
  PseudonymKeyring keys(subject_key_, store);
  keys.prepare(*parseIsoDate("2026-01-01"), 3);  // 2026 to 2029
  const std::string person = subject_key_.reference({SubjectKey::Kind::kBsn, "999990019"});
  const std::string in_2027 = keys.recordReference(person, "2027-03-01", "2026-01-01");
  EXPECT_EQ(keys.destroyExpired(*parseIsoDate("2027-12-31")), (std::vector<int>{2026}));
  EXPECT_EQ(keys.destroyExpired(*parseIsoDate("2027-12-31")), std::vector<int>{}) << "once";
  EXPECT_EQ(keys.destroyExpired(*parseIsoDate("2028-01-01")), (std::vector<int>{2027}));
  const auto refs = keys.referencesOf(person);
  EXPECT_EQ(std::find(refs.begin(), refs.end(), in_2027), refs.end());
  EXPECT_EQ(refs.size(), 3u);  // the subject reference, 2028, 2029
  // A record dated in a destroyed year goes under the next live one.
  EXPECT_EQ(keys.recordReference(person, "2027-03-01", "2026-01-01"),
            keys.recordReference(person, "2028-03-01", "2026-01-01"));
  for (const auto& p : keys.periods()) EXPECT_EQ(p.destroyed_utc.empty(), p.period >= 2028) << p.period;
}

// Issue 25, item 9: a purge in another process (the CLI, another node) destroys keys the
// running gateway holds; the gateway files no record under them and stops finding by them
// once its keys are older than kReloadAfter, which is seconds, not minutes.
TEST_P(PseudonymKeyringTest, KeysAnotherProcessDestroyedAreOutOfUseAtTheNextReload) {
  static_assert(PseudonymKeyring::kReloadAfter <= std::chrono::seconds(5));
  SqlPseudonymKeys gateway_store = keyStore();
  SqlPseudonymKeys cli_store = keyStore();
  PseudonymKeyring gateway(subject_key_, gateway_store, std::chrono::milliseconds(0));
  gateway.prepare(*parseIsoDate("2026-12-06"), 8);  // 2026 to 2034
  const std::string person = subject_key_.reference({SubjectKey::Kind::kBsn, "999990019"});
  const std::string under_2031 = gateway.recordReference(person, "2031-06-30", "2026-12-06");
  PseudonymKeyring cli(subject_key_, cli_store);
  EXPECT_EQ(cli.destroyExpired(*parseIsoDate("2032-01-01")).size(), 6u);  // 2026 to 2031
  const std::string filed = gateway.recordReference(person, "2031-06-30", "2026-12-06");
  EXPECT_NE(filed, under_2031) << "filed under a key the purge destroyed";
  const auto refs = gateway.referencesOf(person);
  EXPECT_EQ(std::find(refs.begin(), refs.end(), under_2031), refs.end());
  EXPECT_NE(std::find(refs.begin(), refs.end(), filed), refs.end()) << "the new record is found";
}

TEST_P(PseudonymKeyringTest, KeysOfAnotherSubjectKeyAreRefused) {
  SqlPseudonymKeys store = keyStore();
  PseudonymKeyring(subject_key_, store).prepare(*parseIsoDate("2026-12-04"), 0);
  SubjectReferencer another(std::string(32, 'o'));
  PseudonymKeyring keys(another, store);
  EXPECT_THROW(keys.prepare(*parseIsoDate("2026-12-04"), 0), std::runtime_error);
}

INSTANTIATE_TEST_SUITE_P(Backends, PseudonymKeyringTest, ::testing::Values(Backend::kSqlite, Backend::kPostgresql),
                         testing::BackendNamed());

}  // namespace
}  // namespace ketenpoort
