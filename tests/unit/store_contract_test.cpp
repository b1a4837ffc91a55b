// What every store keeps, on SQLite and on PostgreSQL alike: one chain of durable records
// across restarts, appends from many threads, a refusing change that refuses alone, a
// transaction id written once, audit pages of the organisation's own records, the
// outbox's bodies, and registry changes logged with their record. Then what only several
// nodes on one PostgreSQL database can show: a chain per node, one exchange for an id
// pushed to two nodes at once, a registry change on one node holding on the other, and
// the checks that keep a misconfigured node out.
#include <gmock/gmock.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <set>
#include <thread>

#include "gateway/demo/postgres_cluster.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/gateway_store/scheduled_purge.hpp"
#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/pg_store/pg_log_verifier.hpp"
#include "gateway/pg_store/pg_registry_store.hpp"
#include "gateway/pg_store/pg_schema.hpp"
#include "gateway/sqlite_store/log_verifier.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/registry_tables.hpp"
#include "tests/support/postgres_database.hpp"
#include "tests/support/store_backend.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

constexpr const char* kCoa = "00000001003214345000";
constexpr const char* kGemeente = "00000001001172773000";
constexpr const char* kSchool = "00000099000000000042";

using testing::Backend;

CivilDate day(const char* iso) { return *parseIsoDate(iso); }

ExchangeRecord recordOf(const std::string& sender, const std::string& recipient,
                        const std::string& transaction_id = newUuidV7()) {
  ExchangeRecord r;
  r.transaction_id = transaction_id;
  r.trace_id = newTraceId();
  r.time_utc = "2026-12-02T10:00:00.000Z";
  r.flow = "coa.klantprofiel";
  r.sender_oin = sender;
  r.recipient_oin = recipient;
  r.purpose = "inburgering";
  r.outcome = ExchangeOutcome::kQueued;
  r.fields_delivered = {"persoon.naam", "procedure.koppeling_datum"};
  r.fields_withheld = {{"gezondheid.medisch", "special-category"}};
  r.retention_until = "2031-12-02";
  return r;
}

// The change a push writes with its record when it must be the first of its id.
StoreChange firstOfItsId(const std::string& transaction_id) {
  return [transaction_id](StoreTransaction& tx) {
    if (tx.exchangeLogged(transaction_id)) return ChangeVerdict(Reason::kTransactionKnown);
    return kApplied;
  };
}

OutboxEntry entryFor(const std::string& transaction_id, DeliveryRoute route = DeliveryRoute::kEndpoint) {
  OutboxEntry e;
  e.transaction_id = transaction_id;
  e.trace_id = newTraceId();
  e.flow = "coa.klantprofiel";
  e.sender_oin = kCoa;
  e.recipient_party_id = "gemeente-0363";
  e.recipient_oin = kGemeente;
  e.route = route;
  e.created_utc = "2026-12-02T10:00:00.000Z";
  return e;
}

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  GatewayConfig configOf(const std::string& node_id = "node-a") const { return backend_.config(node_id); }

  std::unique_ptr<GatewayStore> open(const std::string& node_id = "node-a") const {
    return std::make_unique<GatewayStore>(configOf(node_id));
  }

  static std::string queue(GatewayStore& store, const std::string& body,
                           DeliveryRoute route = DeliveryRoute::kEndpoint) {
    const OutboxEntry entry = entryFor(newUuidV7(), route);
    const auto result =
        store.log().appendAndWait(recordOf(kCoa, kGemeente, entry.transaction_id),
                                  [entry, body](StoreTransaction& tx) { tx.enqueueDelivery(entry, body); });
    EXPECT_TRUE(result.ok) << result.error;
    return entry.transaction_id;
  }

  static bool waitFor(auto call) {
    std::promise<bool> done;
    call([&done](bool ok, const std::string&) { done.set_value(ok); });
    return done.get_future().get();
  }

  // Changes the database behind the gateway's back, as someone with access to it could.
  void tamper(const std::string& sql) const { backend_.execute(sql); }

  // Appends records retained until the given days, in that order; their transaction ids.
  static std::vector<std::string> appendRetained(GatewayStore& store, const std::vector<const char*>& days) {
    std::vector<std::string> ids;
    for (const char* until : days) {
      ExchangeRecord r = recordOf(kCoa, kGemeente);
      r.retention_until = until;
      ids.push_back(r.transaction_id);
      const AppendResult appended = store.log().appendAndWait(r);
      EXPECT_TRUE(appended.ok) << appended.error;
    }
    return ids;
  }

  static const LogVerification& chainOf(const StoreLogCheck& check) { return check.chains.at(0).verification; }

  // A count read straight from the database, as anyone holding it could.
  std::int64_t countOf(const std::string& sql) const { return backend_.count(sql); }

  testing::TempDir dir_;
  testing::StoreBackend backend_{GetParam(), dir_.path()};
};

TEST_P(StoreContractTest, RecordsFormOneChainAcrossRestarts) {
  std::vector<std::string> ids;
  {
    auto store = open();
    for (int i = 1; i <= 3; ++i) {
      ids.push_back(newUuidV7());
      const AppendResult r = store->log().appendAndWait(recordOf(kCoa, kGemeente, ids.back()));
      ASSERT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.sequence, static_cast<std::uint64_t>(i));
    }
  }
  auto store = open();
  EXPECT_EQ(store->log().lastSequence(), 3u);
  const AppendResult fourth = store->log().appendAndWait(recordOf(kCoa, kGemeente));
  ASSERT_TRUE(fourth.ok) << fourth.error;
  EXPECT_EQ(fourth.sequence, 4u);
  for (const auto& id : ids) {
    const auto found = store->log().findTransaction(id);
    ASSERT_TRUE(found.has_value()) << id;
    EXPECT_EQ(found->record.transaction_id, id);
    EXPECT_EQ(found->record.fields_withheld.size(), 1u);
    EXPECT_EQ(found->record.fields_withheld[0].reason, "special-category");
    EXPECT_EQ(found->record.outcome, ExchangeOutcome::kQueued);
  }
  EXPECT_FALSE(store->log().findTransaction(newUuidV7()).has_value());
}

TEST_P(StoreContractTest, ConcurrentAppendsAreAllDurableAndNumberedOnce) {
  auto store = open();
  constexpr int kThreads = 8;
  constexpr int kEach = 100;
  std::mutex mutex;
  std::set<std::uint64_t> sequences;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::vector<std::future<AppendResult>> pending;
      for (int i = 0; i < kEach; ++i) {
        auto promise = std::make_shared<std::promise<AppendResult>>();
        pending.push_back(promise->get_future());
        store->log().append(recordOf(kCoa, kGemeente), [promise](const AppendResult& r) { promise->set_value(r); });
      }
      for (auto& p : pending) {
        const AppendResult r = p.get();
        if (!r.ok) ++failed;
        std::lock_guard lock(mutex);
        sequences.insert(r.sequence);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(sequences.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*sequences.begin(), 1u);
  EXPECT_EQ(*sequences.rbegin(), static_cast<std::uint64_t>(kThreads * kEach));
}

TEST_P(StoreContractTest, AChangeThatRefusesInsideAGroupRefusesAlone) {
  auto store = open();
  std::vector<std::future<AppendResult>> results;
  for (int i = 0; i < 20; ++i) {
    auto promise = std::make_shared<std::promise<AppendResult>>();
    results.push_back(promise->get_future());
    StoreChange change;
    if (i == 7) {
      change = [](StoreTransaction& tx) {
        tx.enqueueDelivery(entryFor(newUuidV7()), "<written-then-refused/>");
        throw std::runtime_error("refused after writing");
      };
    } else {
      const OutboxEntry entry = entryFor(newUuidV7());
      change = [entry](StoreTransaction& tx) { tx.enqueueDelivery(entry, "<ok/>"); };
    }
    store->log().append(recordOf(kCoa, kGemeente), change, [promise](const AppendResult& r) { promise->set_value(r); });
  }
  for (int i = 0; i < 20; ++i) {
    const AppendResult r = results[static_cast<std::size_t>(i)].get();
    if (i == 7) {
      EXPECT_FALSE(r.ok);
      EXPECT_THAT(r.error, HasSubstr("refused after writing"));
    } else {
      EXPECT_TRUE(r.ok) << i << ": " << r.error;
    }
  }
  EXPECT_EQ(store->outbox().count(DeliveryState::kPending), 19u);
  EXPECT_EQ(store->log().lastSequence(), 19u);
}

TEST_P(StoreContractTest, ATransactionIdIsWrittenOnce) {
  auto store = open();
  const std::string id = newUuidV7();
  const AppendResult first = store->log().appendAndWait(recordOf(kCoa, kGemeente, id), firstOfItsId(id));
  ASSERT_TRUE(first.ok) << first.error;
  const AppendResult again = store->log().appendAndWait(recordOf(kCoa, kGemeente, id), firstOfItsId(id));
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.declined, Reason::kTransactionKnown);
  // An id a record carries without having claimed it (a query's record) counts too.
  const std::string logged = newUuidV7();
  ASSERT_TRUE(store->log().appendAndWait(recordOf(kCoa, kGemeente, logged)).ok);
  EXPECT_FALSE(store->log().appendAndWait(recordOf(kCoa, kGemeente, logged), firstOfItsId(logged)).ok);
}

TEST_P(StoreContractTest, AuditPagesHoldOnlyTheOrganisationsOwnRecordsInOrder) {
  auto store = open();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store->log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
    ASSERT_TRUE(store->log().appendAndWait(recordOf(kSchool, kGemeente)).ok);
    ASSERT_TRUE(store->log().appendAndWait(recordOf(kGemeente, kCoa)).ok);
  }
  ExchangeQuery query;
  query.organisation_oin = kCoa;
  query.limit = 4;
  std::vector<LoggedExchange> all;
  for (;;) {
    const auto page = store->log().findExchanges(query);
    for (const auto& e : page) all.push_back(e);
    if (page.size() < query.limit) break;
    query.after_sequence = page.back().sequence;
  }
  ASSERT_EQ(all.size(), 10u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_TRUE(all[i].record.sender_oin == kCoa || all[i].record.recipient_oin == kCoa);
    if (i > 0) {
      EXPECT_LT(all[i - 1].sequence, all[i].sequence);
    }
  }
  query.after_sequence.reset();
  query.limit = 0;
  query.party_oin = kSchool;
  EXPECT_TRUE(store->log().findExchanges(query).empty());  // the school's records are not COA's
}

TEST_P(StoreContractTest, NewestFirstPagesHoldTheSameRecordsBackwards) {
  auto store = open();
  const std::string person_ref(64, 'a');
  std::uint64_t newest_about_the_person = 0;
  for (int i = 0; i < 5; ++i) {
    auto about_a_person = recordOf(kCoa, kGemeente);
    about_a_person.subject_ref = person_ref;
    const AppendResult appended = store->log().appendAndWait(about_a_person);
    ASSERT_TRUE(appended.ok);
    newest_about_the_person = appended.sequence;
    ASSERT_TRUE(store->log().appendAndWait(recordOf(kSchool, kGemeente)).ok);
    ASSERT_TRUE(store->log().appendAndWait(recordOf(kGemeente, kCoa)).ok);
  }
  ExchangeQuery query;
  query.organisation_oin = kCoa;
  const auto forwards = store->log().findExchanges(query);
  query.newest_first = true;
  query.limit = 3;
  std::vector<LoggedExchange> backwards;
  for (;;) {
    const auto page = store->log().findExchanges(query);
    for (const auto& e : page) backwards.push_back(e);
    if (page.size() < query.limit) break;
    query.before_sequence = page.back().sequence;
  }
  ASSERT_EQ(forwards.size(), 10u);
  ASSERT_EQ(backwards.size(), forwards.size());
  for (std::size_t i = 0; i < forwards.size(); ++i) {
    EXPECT_EQ(backwards[backwards.size() - 1 - i].sequence, forwards[i].sequence);
  }
  // With a person: the same order, from their index.
  query = {};
  query.organisation_oin = kCoa;
  query.subject_ref = person_ref;
  query.newest_first = true;
  query.limit = 3;
  const auto person = store->log().findExchanges(query);
  ASSERT_EQ(person.size(), 3u);
  EXPECT_EQ(person.front().sequence, newest_about_the_person);
  for (std::size_t i = 1; i < person.size(); ++i) EXPECT_GT(person[i - 1].sequence, person[i].sequence);
}

// ADR 0020: a record's subject reference is keyed once more under the key of the year its
// retention ends. One person is found across periods; once the purge destroys a year's
// key, what is left of that year no longer answers to the person, on any node, after a
// restart too, and (SQLite) the wrapped key's bytes are gone from the database file.
TEST_P(StoreContractTest, PseudonymsExpireWithTheKeyOfTheirPeriod) {
  auto store = open();
  const std::string person = store->referencer().reference({SubjectKey::Kind::kBsn, "999990019"});
  const auto about = [&](GatewayStore& on, const char* retention) {
    auto r = recordOf(kCoa, kGemeente);
    r.time_utc = "2025-03-01T10:00:00.000Z";
    r.subject_ref = person;
    r.retention_until = retention;
    const AppendResult a = on.log().appendAndWait(r);
    EXPECT_TRUE(a.ok) << a.error;
    return r.transaction_id;
  };
  const auto found = [&](GatewayStore& on) {
    ExchangeQuery q;
    q.organisation_oin = kCoa;
    q.subject_ref = person;
    std::set<std::string> ids;
    for (const auto& e : on.log().findExchanges(q)) ids.insert(e.record.transaction_id);
    return ids;
  };
  const auto referenceAt = [&](GatewayStore& on, const std::string& id) {
    return on.log().findTransaction(id).value().record.subject_ref;
  };
  const std::string a_2026 = about(*store, "2026-05-01");
  const std::string b_2027 = about(*store, "2027-01-01");
  const std::string c_2031 = about(*store, "2031-06-30");
  const std::string d_2026 = about(*store, "2026-05-01");  // the last record: never purged
  EXPECT_EQ(found(*store), (std::set<std::string>{a_2026, b_2027, c_2031, d_2026}));
  const std::string ref_2026 = referenceAt(*store, a_2026);
  EXPECT_EQ(referenceAt(*store, d_2026), ref_2026);  // one period, one reference
  const std::set<std::string> refs{person, ref_2026, referenceAt(*store, b_2027), referenceAt(*store, c_2031)};
  EXPECT_EQ(refs.size(), 4u) << "each period keys the person apart, and none keeps the registry's reference";

  std::string wrapped_2026;
  if (GetParam() == Backend::kSqlite) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(configOf().storage_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT wrapped FROM pseudonym_keys WHERE period = 2026", -1, &q, nullptr);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    wrapped_2026 = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    ASSERT_EQ(wrapped_2026.size(), 2u * (12 + 32 + 16));
    // Closed and opened again: the key is in the database file itself now, not only the WAL.
    store.reset();
    store = open();
    ASSERT_NE(testing::readFile(configOf().storage_path).find(wrapped_2026), std::string::npos);
  }

  PurgeBatchRequest request;
  request.as_of = "2027-01-01";
  const PurgeBatchResult purged = store->purgeExpired(request);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_EQ(purged.removed, 1u);
  EXPECT_THAT(purged.pseudonym_keys_destroyed, ::testing::Contains(2026));
  EXPECT_THAT(purged.pseudonym_keys_destroyed, ::testing::Each(::testing::Lt(2027)));
  // The 2026 record left as the log's last is still there, and no longer anyone's.
  EXPECT_EQ(referenceAt(*store, d_2026), ref_2026);
  EXPECT_EQ(found(*store), (std::set<std::string>{b_2027, c_2031}));
  EXPECT_TRUE(store->verifyLog().intact);
  if (GetParam() == Backend::kSqlite) {
    // While the gateway runs: neither the database file nor its WAL holds the key's bytes.
    const auto path = configOf().storage_path;
    for (const auto& file : {path, std::filesystem::path(path.string() + "-wal")}) {
      if (std::filesystem::exists(file)) {
        EXPECT_EQ(testing::readFile(file).find(wrapped_2026), std::string::npos) << file;
      }
    }
  }
  bool listed_destroyed = false;
  for (const auto& p : store->pseudonymKeys().periods()) {
    if (p.period == 2026) listed_destroyed = !p.destroyed_utc.empty();
  }
  EXPECT_TRUE(listed_destroyed);
  // Dated before the purge (a clock set back): under the first live year after its own,
  // still found, never under a new key for the destroyed year.
  const std::string late = about(*store, "2026-08-01");
  EXPECT_NE(referenceAt(*store, late), ref_2026);
  EXPECT_EQ(found(*store), (std::set<std::string>{b_2027, c_2031, late}));

  if (GetParam() == Backend::kSqlite) {
    store.reset();
    store = open();
  } else {
    // Another node reads the same keys: the same references, the same expiry.
    auto other = open("node-b");
    EXPECT_EQ(found(*other), (std::set<std::string>{b_2027, c_2031, late}));
    const std::string there = about(*other, "2031-06-30");
    EXPECT_EQ(referenceAt(*other, there), referenceAt(*store, c_2031));
    other.reset();
  }
  EXPECT_EQ(found(*store).count(b_2027), 1u);
  EXPECT_EQ(found(*store).count(d_2026), 0u);
}

// A purged exchange's delivery bookkeeping goes with it once finished; one still waiting
// keeps its entry and body until it is delivered or given up.
TEST_P(StoreContractTest, APurgeTakesTheFinishedDeliveriesOfWhatItRemoves) {
  auto store = open();
  OutboxStore& outbox = store->outbox();
  const std::string delivered = queue(*store, "<a/>");
  const std::string dead = queue(*store, "<b/>");
  const std::string waiting = queue(*store, "<c/>");
  appendRetained(*store, {"2040-01-01"});
  EXPECT_TRUE(waitFor([&](auto d) { outbox.markDelivered(*outbox.find(delivered), d); }));
  EXPECT_TRUE(waitFor([&](auto d) { outbox.recordFailure(*outbox.find(dead), "503", std::nullopt, d); }));
  PurgeBatchRequest request;
  request.as_of = "2032-01-01";  // the queued records are retained until 2031-12-02
  const PurgeBatchResult purged = purgeExpired(store->log(), request);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_EQ(purged.removed, 3u);
  EXPECT_FALSE(outbox.find(delivered).has_value());
  EXPECT_FALSE(outbox.find(dead).has_value());
  ASSERT_TRUE(outbox.find(waiting).has_value());
  EXPECT_EQ(outbox.body(waiting), "<c/>");
  EXPECT_TRUE(store->verifyLog().intact);
}

// Issue 25, item 10: when a record goes, nothing names it or its transaction any more: not
// the koppeling or the link it taught, not PostgreSQL's claim on its id, not the outbox row
// of a message still waiting at the purge and delivered after it.
TEST_P(StoreContractTest, WhatAPurgeLeavesNamesNoneOfThePurgedExchanges) {
  auto store = open();
  RegistryStore& registries = store->registries();
  const SubjectKey bsn{SubjectKey::Kind::kBsn, "111222333"};
  ExchangeRecord taught = recordOf(kCoa, kGemeente);
  const StoreChange koppeling = registries.koppelingChange(bsn, "0363", day("2026-03-01"), taught.transaction_id);
  const StoreChange link = registries.identityLinkChange(bsn.value, "1000000001", taught.transaction_id);
  ASSERT_TRUE(store->log()
                  .appendAndWait(taught,
                                 [koppeling, link](StoreTransaction& tx) {
                                   koppeling(tx);
                                   link(tx);
                                 })
                  .ok);
  const std::string waiting = queue(*store, "<c/>");
  appendRetained(*store, {"2040-01-01"});
  const auto naming = [&](const std::string& id) {
    std::int64_t n = countOf("SELECT COUNT(*) FROM koppeling WHERE source_transaction = '" + id + "'") +
                     countOf("SELECT COUNT(*) FROM identity_links WHERE source_transaction = '" + id + "'");
    n += countOf("SELECT COUNT(*) FROM registry_changes WHERE change LIKE '%" + id + "%'");
    if (backend_.postgresql()) {
      n += countOf("SELECT COUNT(*) FROM exchange_transactions WHERE transaction_id = '" + id + "'");
    }
    return n;
  };
  EXPECT_GE(naming(taught.transaction_id), 2);
  PurgeBatchRequest request;
  request.as_of = "2032-01-01";  // both retained until 2031-12-02
  ASSERT_TRUE(purgeExpired(store->log(), request).ok);
  EXPECT_FALSE(store->log().findTransaction(taught.transaction_id).has_value());
  EXPECT_EQ(naming(taught.transaction_id), 0);
  EXPECT_EQ(naming(waiting), 0);
  // The registries still hold what they learnt, only not from which exchange.
  EXPECT_EQ(registries.gemeenteOf({SubjectKey::Kind::kVnummer, "1000000001"}, day("2026-06-01")), "0363");
  // The waiting message still leaves; once it has, its row goes too.
  OutboxStore& outbox = store->outbox();
  ASSERT_TRUE(outbox.find(waiting).has_value());
  EXPECT_TRUE(waitFor([&](auto d) { outbox.markDelivered(*outbox.find(waiting), d); }));
  EXPECT_FALSE(outbox.find(waiting).has_value());
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM outbox WHERE transaction_id = '" + waiting + "'"), 0);
  EXPECT_TRUE(store->verifyLog().intact);
}

// Issue 25, item 11: a purge extends the chain with a record of its own, so the signed head
// moves; a head witnessed after the purge rejects a log restored from before it.
TEST_P(StoreContractTest, APurgeMovesTheSignedHeadAndItsWitnessRejectsAnOlderBackup) {
  auto store = open();
  appendRetained(*store, {"2026-05-01", "2026-05-01", "2040-01-01"});
  const SignedHead before = store->signedHeads().at(0).second;
  const std::string backup = (dir_.path() / "backup.db").string();
  if (!backend_.postgresql()) tamper("VACUUM INTO '" + backup + "'");  // a consistent copy, as a backup takes it
  PurgeBatchRequest request;
  request.as_of = "2027-01-01";
  const PurgeBatchResult purged = store->purgeExpired(request);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_EQ(purged.removed, 2u);
  const SignedHead after = store->signedHeads().at(0).second;
  EXPECT_EQ(after.sequence, before.sequence + 1);
  EXPECT_NE(after.record_hash, before.record_hash);
  ExchangeQuery all;
  all.whole_log = true;
  const auto kept = store->log().findExchanges(all);
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back().record.flow, "ketenpoort.purge");
  EXPECT_THAT(kept.back().record.fields_delivered, ::testing::Contains("records_removed=2"));
  EXPECT_TRUE(store->verifyLog().intact);
  // Nothing to purge: no record, the head stays.
  ASSERT_TRUE(store->purgeExpired(request).ok);
  EXPECT_EQ(store->signedHeads().at(0).second.sequence, after.sequence);
  if (!backend_.postgresql()) {
    const std::string key = store->log().publicKeyPem();
    EXPECT_TRUE(verifyExchangeLog(backup, key, before).intact);
    const LogVerification restored = verifyExchangeLog(backup, key, after);
    EXPECT_FALSE(restored.intact);
    EXPECT_THAT(restored.problem, HasSubstr("cut back"));
  }
}

// Issue 25, item 12: a log whose records and head were removed does not verify intact while
// the store shows it held a log; a store that never held a record does, without claiming a
// head it did not check.
TEST_P(StoreContractTest, AnEmptiedLogDoesNotVerifyIntact) {
  {
    auto fresh = open();
    const StoreLogCheck empty = fresh->verifyLog();
    EXPECT_TRUE(empty.intact) << empty.problem << chainOf(empty).problem;
  }
  auto store = open();
  ASSERT_TRUE(store->registries()
                  .upsertAgreement({"a", "taalschool-a", "elip", "0363", day("2026-01-01"), day("2027-01-01"), "doc"})
                  .ok);
  appendRetained(*store, {"2040-01-01", "2040-01-01"});
  ASSERT_TRUE(store->verifyLog().intact);
  store.reset();
  tamper("DELETE FROM log_checkpoints; DELETE FROM log_heads; DELETE FROM exchange_log");
  store = open();
  const StoreLogCheck wiped = store->verifyLog();
  EXPECT_FALSE(wiped.intact);
  EXPECT_FALSE(chainOf(wiped).intact);
  EXPECT_THAT(chainOf(wiped).problem, ::testing::AnyOf(HasSubstr("emptied"), HasSubstr("removed")));
}

TEST_P(StoreContractTest, ABodyExistsExactlyWhileItsEntryWaits) {
  auto store = open();
  OutboxStore& outbox = store->outbox();
  const std::string delivered = queue(*store, "<a/>");
  const std::string dead = queue(*store, "<b>\x01\xff binary</b>");
  const std::string retried = queue(*store, "<c/>");
  const std::string postbus = queue(*store, "<d/>", DeliveryRoute::kPostbus);
  EXPECT_EQ(outbox.body(dead), std::string("<b>\x01\xff binary</b>"));
  EXPECT_EQ(outbox.due(std::numeric_limits<std::int64_t>::max(), 10).size(), 3u);

  EXPECT_TRUE(waitFor([&](auto d) { outbox.markDelivered(*outbox.find(delivered), d); }));
  EXPECT_TRUE(waitFor([&](auto d) { outbox.recordFailure(*outbox.find(dead), "503", std::nullopt, d); }));
  EXPECT_TRUE(waitFor([&](auto d) { outbox.recordFailure(*outbox.find(retried), "503", 1, d); }));
  EXPECT_FALSE(outbox.acknowledge("gemeente-0518", postbus));  // another party's entry
  EXPECT_TRUE(outbox.acknowledge("gemeente-0363", postbus));

  EXPECT_FALSE(outbox.body(delivered).has_value());
  EXPECT_FALSE(outbox.body(dead).has_value());
  EXPECT_FALSE(outbox.body(postbus).has_value());
  EXPECT_EQ(outbox.body(retried), "<c/>");
  EXPECT_EQ(outbox.find(delivered)->state, DeliveryState::kDelivered);
  EXPECT_EQ(outbox.find(dead)->state, DeliveryState::kDeadLetter);
  EXPECT_EQ(outbox.find(retried)->attempts, 1u);
  EXPECT_EQ(outbox.count(DeliveryState::kDelivered), 2u);
  EXPECT_EQ(outbox.count(DeliveryState::kDeadLetter), 1u);
  DeliveryQuery query;
  query.organisation_oin = kSchool;
  EXPECT_TRUE(outbox.list(query).empty());
  query.organisation_oin = kGemeente;
  query.state = DeliveryState::kDelivered;
  EXPECT_EQ(outbox.list(query).size(), 2u);
}

TEST_P(StoreContractTest, AStepRecordedIsWhatTheNextAttemptReadsAndOutlivesTheDelivery) {
  auto store = open();
  OutboxStore& outbox = store->outbox();
  const std::string id = queue(*store, "<a/>");
  EXPECT_EQ(outbox.find(id)->channel_state, "");
  EXPECT_TRUE(waitFor([&](auto d) { outbox.recordStep(*outbox.find(id), R"({"zaak":"https://z/1"})", d); }));
  const auto due = outbox.due(std::numeric_limits<std::int64_t>::max(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].channel_state, R"({"zaak":"https://z/1"})");
  EXPECT_TRUE(waitFor([&](auto d) { outbox.recordFailure(due[0], "zgw-rol-http-500", 1, d); }));
  EXPECT_EQ(outbox.find(id)->channel_state, R"({"zaak":"https://z/1"})");  // a failure keeps the steps
  EXPECT_TRUE(waitFor([&](auto d) { outbox.markDelivered(*outbox.find(id), d); }));
  // Delivered, it names where the message went; no step is recorded after the end.
  EXPECT_EQ(outbox.find(id)->channel_state, R"({"zaak":"https://z/1"})");
  EXPECT_FALSE(waitFor([&](auto d) { outbox.recordStep(*outbox.find(id), "{}", d); }));
  EXPECT_EQ(outbox.find(id)->channel_state, R"({"zaak":"https://z/1"})");
}

TEST_P(StoreContractTest, AQueuedBodyIsNeverOverwritten) {
  auto store = open();
  const std::string id = queue(*store, "<first/>");
  const AppendResult again = store->log().appendAndWait(
      recordOf(kCoa, kGemeente), [id](StoreTransaction& tx) { tx.enqueueDelivery(entryFor(id), "<second/>"); });
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(store->outbox().body(id), "<first/>");
}

TEST_P(StoreContractTest, ConsentHoldsFromGrantUntilWithdrawalAndBothAreLogged) {
  auto store = open();
  RegistryStore& registries = store->registries();
  const SubjectKey person{SubjectKey::Kind::kBsn, "111222333"};
  const Oin school = *Oin::parse(kSchool);
  const auto granted = registries.grantConsent({person, "inburgering", school, "doc-1", day("2026-01-01"), {}});
  ASSERT_TRUE(granted.ok) << granted.error;
  EXPECT_EQ(registries.findActive(person, "inburgering", school, day("2026-06-01")), granted.id);
  const auto withdrawn = registries.withdrawConsent(granted.id, day("2026-07-01"));
  ASSERT_TRUE(withdrawn.ok) << withdrawn.error;
  EXPECT_FALSE(registries.findActive(person, "inburgering", school, day("2026-08-01")).has_value());
  EXPECT_FALSE(registries.withdrawConsent(granted.id, day("2026-07-02")).ok);
  EXPECT_EQ(registries.listConsents(person).size(), 1u);
  EXPECT_EQ(registries.consent(granted.id)->withdrawn, "2026-07-01");
  // Reopened, the registries are read back from the database.
  store.reset();
  store = open();
  EXPECT_EQ(store->registries().consent(granted.id)->withdrawn, "2026-07-01");
  EXPECT_EQ(store->log().lastSequence(), 2u);
}

// Issue 25, item 2: a koppeling moves forward only; one dated before the koppeling in
// force is refused and changes nothing; the one open ends on the new one's day, under any
// of the person's linked references; the store itself refuses a second open koppeling.
TEST_P(StoreContractTest, AKoppelingMovesForwardOnlyAndOneIsOpenPerPerson) {
  auto store = open();
  RegistryStore& registries = store->registries();
  const Oin gemeente = *Oin::parse(kGemeente);
  const SubjectKey bsn{SubjectKey::Kind::kBsn, "111222333"};
  const SubjectKey vnummer{SubjectKey::Kind::kVnummer, "1000000001"};
  ASSERT_TRUE(
      store->log()
          .appendAndWait(recordOf(kCoa, kGemeente), registries.identityLinkChange(bsn.value, vnummer.value, "t"))
          .ok);
  ASSERT_TRUE(registries.registerKoppeling(vnummer, gemeente, "0363", day("2026-03-01"), "e").ok);
  const auto before = store->log().lastSequence();
  const auto back = registries.registerKoppeling(bsn, gemeente, "0518", day("2026-02-01"), "e");
  EXPECT_FALSE(back.ok);
  EXPECT_THAT(back.error, HasSubstr("koppeling-conflict"));
  EXPECT_EQ(store->log().lastSequence(), before) << "a refused change leaves no record";
  EXPECT_EQ(registries.gemeenteOf(bsn, day("2026-06-01")), "0363");
  EXPECT_FALSE(registries.gemeenteOf(bsn, day("2026-02-15")).has_value());

  ASSERT_TRUE(registries.registerKoppeling(bsn, gemeente, "0518", day("2026-07-01"), "e").ok);
  EXPECT_EQ(registries.gemeenteOf(vnummer, day("2026-06-30")), "0363");
  EXPECT_EQ(registries.gemeenteOf(vnummer, day("2026-07-01")), "0518");
  EXPECT_EQ(registries.koppelingOf(bsn, day("2026-08-01"))->valid_from, day("2026-07-01"));
  ASSERT_TRUE(registries.registerKoppeling(vnummer, gemeente, "0599", day("2026-07-01"), "e").ok);  // same day
  EXPECT_EQ(registries.gemeenteOf(bsn, day("2026-07-01")), "0599");
  EXPECT_FALSE(registries.registerKoppeling(bsn, gemeente, "0363", day("2026-06-30"), "e").ok);

  // One open row per reference, whoever writes to the database.
  const std::string second_open =
      "INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, source_transaction) "
      "SELECT subject_key, subject_ref, '0344', '2026-08-01', NULL, 't' FROM koppeling WHERE valid_until IS NULL";
  EXPECT_THROW(tamper(second_open), std::runtime_error);
  store.reset();
  store = open();
  EXPECT_EQ(store->registries().gemeenteOf(bsn, day("2026-09-01")), "0599");
  EXPECT_EQ(store->registries().gemeenteOf(vnummer, day("2026-06-01")), "0363");
}

// A file from before the index, with the two open koppelingen a back-dated registration
// used to leave: it opens, the later one stays open, the earlier ends where the later
// begins (every lookup answers as before the repair), and the index holds.
// (PostgreSQL does the same once, in schema version 5's migration.)
TEST_P(StoreContractTest, AFileWithTwoOpenKoppelingenIsRepairedWhenOpened) {
  if (backend_.postgresql()) GTEST_SKIP() << "PostgreSQL repairs in its schema migration, run once per database";
  const SubjectKey bsn{SubjectKey::Kind::kBsn, "111222333"};
  const Oin gemeente = *Oin::parse(kGemeente);
  {
    auto store = open();
    ASSERT_TRUE(store->registries().registerKoppeling(bsn, gemeente, "0363", day("2026-03-01"), "e").ok);
  }
  tamper(
      "DROP INDEX koppeling_one_open; "
      "INSERT INTO koppeling (subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, source_transaction) "
      "SELECT subject_key, subject_ref, '0518', '2026-01-01', NULL, 't' FROM koppeling; "
      "PRAGMA user_version=5");  // as a file of layout 5, from before the index, may be
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM koppeling WHERE valid_until IS NULL"), 2);
  auto store = open();
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM koppeling WHERE valid_until IS NULL"), 1);
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM sqlite_master WHERE name = 'koppeling_one_open'"), 1);
  EXPECT_EQ(store->registries().gemeenteOf(bsn, day("2026-06-01")), "0363");
  EXPECT_EQ(store->registries().gemeenteOf(bsn, day("2026-02-01")), "0518");
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM koppeling WHERE gemeente_cbs = '0518' AND valid_until = '2026-03-01'"), 1);
}

// Issue 25, item 13: a record appended without a retention (a refusal decided before any
// flow's rules) gets the longest any record may have, so it is filed under that year's key
// and leaves with it; never kept for ever with the registry's own reference.
TEST_P(StoreContractTest, ARecordWithoutRetentionGetsTheLongestAndAYearKey) {
  auto store = open();
  const std::string person = store->referencer().reference({SubjectKey::Kind::kBsn, "999990019"});
  auto r = recordOf(kCoa, kGemeente);
  r.outcome = ExchangeOutcome::kRefused;
  r.reason = "law-regime";
  r.retention_until.clear();
  r.subject_ref = person;
  ASSERT_TRUE(store->log().appendAndWait(r).ok);
  const auto kept = store->log().findTransaction(r.transaction_id).value().record;
  EXPECT_EQ(kept.retention_until, "2033-12-02");  // made 2026-12-02, P7Y
  EXPECT_NE(kept.subject_ref, person);            // keyed again under 2033's key
  EXPECT_EQ(kept.subject_ref.size(), person.size());
  ExchangeQuery about;
  about.organisation_oin = kCoa;
  about.subject_ref = person;
  EXPECT_EQ(store->log().findExchanges(about).size(), 1u);
  // A record after it, so the purge may take it (the log's last record stays).
  ASSERT_TRUE(store->log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
  PurgeBatchRequest purge;
  purge.as_of = "2034-01-01";
  const auto purged = store->purgeExpired(purge);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_FALSE(store->log().findTransaction(r.transaction_id).has_value());
  EXPECT_TRUE(store->log().findExchanges(about).empty());
}

// Issue 25, item 1: an agreement the configuration no longer holds ends, logged once with
// the day it ended; from that day it covers nothing, after a reopen and on another node too.
TEST_P(StoreContractTest, AnEndedAgreementCoversNothingFromItsLastDayOnAndIsLoggedOnce) {
  auto store = open();
  RegistryStore& registries = store->registries();
  const AgreementEntry agreement{"vwo-elip",        "taalschool-a",    "elip",        "0363",
                                 day("2026-01-01"), day("2027-12-31"), "VWO-2026-007"};
  ASSERT_TRUE(registries.upsertAgreement(agreement).ok);
  EXPECT_EQ(registries.findValid("taalschool-a", "elip", "0363", day("2026-12-06")), "vwo-elip");
  EXPECT_EQ(registries.listAgreements().size(), 1u);
  const auto ended = registries.endAgreement("vwo-elip", day("2026-12-06"), "niet meer in de configuratie");
  ASSERT_TRUE(ended.ok) << ended.error;
  EXPECT_NE(ended.log_sequence, 0u);
  EXPECT_EQ(registries.findValid("taalschool-a", "elip", "0363", day("2026-12-05")), "vwo-elip");
  EXPECT_FALSE(registries.findValid("taalschool-a", "elip", "0363", day("2026-12-06")).has_value());
  EXPECT_FALSE(registries.findValid("taalschool-a", "elip", "0363", day("2027-06-01")).has_value());
  EXPECT_EQ(registries.agreement("vwo-elip")->valid_until, day("2026-12-05"));
  // The log says which agreement ended and when.
  ExchangeQuery all;
  all.whole_log = true;
  const auto logged = store->log().findExchanges(all);
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[1].record.reason, "agreement-ended");
  EXPECT_EQ(logged[1].record.agreement_id, "vwo-elip");
  EXPECT_THAT(logged[1].record.legal_basis, HasSubstr("2026-12-06"));
  // Ending it again, or later, writes nothing; an unknown agreement is an error.
  EXPECT_EQ(registries.endAgreement("vwo-elip", day("2026-12-07"), "again").log_sequence, 0u);
  EXPECT_FALSE(registries.endAgreement("no-such", day("2026-12-07"), "x").ok);
  EXPECT_EQ(store->log().lastSequence(), 2u);
  if (GetParam() == Backend::kPostgresql) {
    auto other = open("node-b");
    EXPECT_FALSE(other->registries().findValid("taalschool-a", "elip", "0363", day("2026-12-06")).has_value());
  }
  store.reset();
  store = open();
  EXPECT_FALSE(store->registries().findValid("taalschool-a", "elip", "0363", day("2026-12-06")).has_value());
  EXPECT_EQ(store->registries().agreement("vwo-elip")->valid_until, day("2026-12-05"));
}

// ADR 0020: koppelingen and consents that ended more than seven years (P7Y) before the
// purge's day leave the registries, with a registry-history record; what is in force, or
// ended since, stays; the in-memory registries answer as the tables do (on another node
// too); a second purge finds nothing and writes nothing.
TEST_P(StoreContractTest, ThePurgeRemovesRegistryHistoryPastItsRetention) {
  auto store = open();
  RegistryStore& registries = store->registries();
  const SubjectKey person{SubjectKey::Kind::kBsn, "111222333"};
  const SubjectKey moved{SubjectKey::Kind::kBsn, "999990019"};
  const Oin school = *Oin::parse(kSchool);
  const Oin gemeente = *Oin::parse(kGemeente);
  const auto expired = registries.grantConsent({person, "elip", school, "doc-1", day("2015-01-01"), day("2018-06-01")});
  const auto withdrawn_long_ago =
      registries.grantConsent({person, "presentie", school, "doc-2", day("2016-01-01"), {}});
  const auto withdrawn_lately =
      registries.grantConsent({person, "opmerkingen", school, "doc-3", day("2016-01-01"), {}});
  const auto active = registries.grantConsent({person, "inburgering", school, "doc-4", day("2016-01-01"), {}});
  for (const auto* granted : {&expired, &withdrawn_long_ago, &withdrawn_lately, &active}) ASSERT_TRUE(granted->ok);
  ASSERT_TRUE(registries.withdrawConsent(withdrawn_long_ago.id, day("2019-12-03")).ok);
  ASSERT_TRUE(registries.withdrawConsent(withdrawn_lately.id, day("2019-12-04")).ok);
  ASSERT_TRUE(registries.registerKoppeling(moved, gemeente, "0518", day("2016-01-01"), "dms://k1").ok);
  ASSERT_TRUE(registries.registerKoppeling(moved, gemeente, "0363", day("2019-03-01"), "dms://k2").ok);
  ASSERT_TRUE(registries.registerKoppeling(person, gemeente, "0363", day("2016-01-01"), "dms://k3").ok);
  EXPECT_EQ(registries.gemeenteOf(moved, day("2018-01-01")), "0518");
  // PostgreSQL: another node, running since before the purge, with the rows in memory.
  std::unique_ptr<GatewayStore> other;
  if (GetParam() == Backend::kPostgresql) {
    other = open("node-b");
    ASSERT_TRUE(other->registries().consent(expired.id).has_value());
  }

  PurgeBatchRequest request;
  request.as_of = "2026-12-04";  // ended before 2019-12-04 goes
  const PurgeBatchResult purged = store->purgeExpired(request);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_EQ(purged.registry_history_removed.consents, 2u);
  EXPECT_EQ(purged.registry_history_removed.koppelingen, 1u);
  EXPECT_FALSE(registries.consent(expired.id).has_value());
  EXPECT_FALSE(registries.consent(withdrawn_long_ago.id).has_value());
  EXPECT_TRUE(registries.consent(withdrawn_lately.id).has_value());
  EXPECT_EQ(registries.findActive(person, "inburgering", school, day("2026-12-04")), active.id);
  std::set<std::string> listed;
  for (const auto& c : registries.listConsents(person)) listed.insert(c.id);
  EXPECT_EQ(listed, (std::set<std::string>{withdrawn_lately.id, active.id}));
  EXPECT_FALSE(registries.gemeenteOf(moved, day("2018-01-01")).has_value()) << "the ended koppeling is gone";
  EXPECT_EQ(registries.gemeenteOf(moved, day("2026-12-04")), "0363");
  EXPECT_EQ(registries.gemeenteOf(person, day("2026-12-04")), "0363");

  const auto historyRecords = [&](GatewayStore& on) {
    ExchangeQuery q;
    q.organisation_oin = kCoa;
    q.whole_log = true;
    q.flow = std::string(internal_flows::kRegistryHistory);
    return on.log().findExchanges(q);
  };
  const auto records = historyRecords(*store);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.reason, "registry-history-purged");
  EXPECT_FALSE(records[0].record.retention_until.empty());
  EXPECT_TRUE(store->verifyLog().intact);
  // Nothing more has ended that long ago: nothing removed, nothing written.
  const PurgeBatchResult again = store->purgeExpired(request);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.registry_history_removed.consents + again.registry_history_removed.koppelingen, 0u);
  EXPECT_EQ(historyRecords(*store).size(), 1u);

  // The node running beside it applies the change (PostgreSQL); read anew from the
  // tables (SQLite): the same.
  std::unique_ptr<GatewayStore> reader;
  if (GetParam() == Backend::kSqlite) {
    store.reset();
    reader = open();
  } else {
    reader = std::move(other);
    EXPECT_TRUE(testing::waitUntil([&] { return !reader->registries().consent(expired.id).has_value(); }));
  }
  EXPECT_FALSE(reader->registries().consent(expired.id).has_value());
  EXPECT_TRUE(reader->registries().consent(withdrawn_lately.id).has_value());
  EXPECT_FALSE(reader->registries().gemeenteOf(moved, day("2018-01-01")).has_value());
  EXPECT_EQ(reader->registries().gemeenteOf(moved, day("2026-12-04")), "0363");
}

// Retention as of 2026-12-04: a record retained until the day before goes, one retained
// until that day or later stays, the last record stays whatever its date; windows smaller
// than the runs, so runs cross batches; verification follows the chain across.
TEST_P(StoreContractTest, APurgeRemovesOnlyWhatIsPastItsRetentionAndTheLogStillVerifies) {
  auto store = open();
  const std::vector<const char*> days{"2026-12-03", "2026-12-03", "2026-12-04", "2026-12-03", "2026-12-03",
                                      "2026-12-03", "2026-12-05", "2031-01-01", "2026-12-03", "2026-12-03",
                                      "2026-12-04", "2026-12-03", "2025-01-01", "2026-12-03", "2026-12-03"};
  const auto ids = appendRetained(*store, days);
  PurgeBatchRequest request;
  request.as_of = "2026-12-04";
  request.window = 4;
  const PurgeBatchResult purged = purgeExpired(store->log(), request);
  ASSERT_TRUE(purged.ok) << purged.error;
  EXPECT_EQ(purged.removed, 10u);  // eleven expired, the last one kept
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const bool gone = std::string(days[i]) < "2026-12-04" && i + 1 < ids.size();
    EXPECT_EQ(store->log().findTransaction(ids[i]).has_value(), !gone) << "record " << i + 1;
  }
  const StoreLogCheck after = store->verifyLog();
  ASSERT_TRUE(after.intact) << chainOf(after).problem;
  EXPECT_EQ(chainOf(after).records_checked, 5u);
  EXPECT_EQ(chainOf(after).records_purged, 10u);
  EXPECT_GE(chainOf(after).purges_checked, 2u);

  // Again: nothing more is due. Then the log goes on and a later purge takes the rest.
  EXPECT_EQ(purgeExpired(store->log(), request).removed, 0u);
  appendRetained(*store, {"2026-12-10", "2026-12-10"});
  request.as_of = "2026-12-11";
  const PurgeBatchResult later = purgeExpired(store->log(), request);
  ASSERT_TRUE(later.ok) << later.error;
  EXPECT_EQ(later.removed, 2u + 1u + 1u + 1u);  // the two 12-04s, the 12-05, the old tail and the first 12-10
  store.reset();
  store = open();
  const StoreLogCheck reopened = store->verifyLog();
  ASSERT_TRUE(reopened.intact) << chainOf(reopened).problem;
  EXPECT_EQ(chainOf(reopened).records_checked, 2u);  // 2031-01-01 and the tail
  EXPECT_EQ(store->log().appendAndWait(recordOf(kCoa, kGemeente)).sequence, 18u);
  EXPECT_TRUE(store->verifyLog().intact);
}

TEST_P(StoreContractTest, ARemovalNoPurgeRecordCoversFailsVerification) {
  auto store = open();
  appendRetained(*store, {"2026-12-01", "2026-12-01", "2030-01-01", "2026-12-01", "2030-01-01", "2030-01-01"});
  PurgeBatchRequest request;
  request.as_of = "2026-12-04";
  ASSERT_EQ(purgeExpired(store->log(), request).removed, 3u);
  ASSERT_TRUE(store->verifyLog().intact);
  store.reset();

  const auto fails = [&](const std::string& sql, const std::string& problem) {
    tamper(sql);
    auto reopened = open();
    const StoreLogCheck check = reopened->verifyLog();
    EXPECT_FALSE(check.intact) << sql;
    EXPECT_THAT(chainOf(check).problem, HasSubstr(problem)) << sql;
  };
  // A record removed without a purge record.
  fails("DELETE FROM exchange_log WHERE seq = 5", "record 5 is missing");
  tamper("DELETE FROM log_purged_runs");  // and its purge's runs: the purge record no longer matches
  {
    auto reopened = open();
    EXPECT_FALSE(reopened->verifyLog().intact);
  }
}

TEST_P(StoreContractTest, APurgeRecordThatDoesNotMatchFailsVerification) {
  const auto purgedStore = [&] {
    auto store = open();
    appendRetained(*store, {"2026-12-01", "2026-12-01", "2030-01-01", "2026-12-01", "2030-01-01"});
    PurgeBatchRequest request;
    request.as_of = "2026-12-04";
    EXPECT_EQ(purgeExpired(store->log(), request).removed, 3u);
    EXPECT_TRUE(store->verifyLog().intact);
  };
  purgedStore();
  const auto check = [&] {
    auto store = open();
    return store->verifyLog();
  };
  tamper("UPDATE log_purges SET reason = 'anders'");
  EXPECT_THAT(chainOf(check()).problem, HasSubstr("is not signed by the gateway's key"));
  tamper("UPDATE log_purges SET reason = 'retention-ended'");
  ASSERT_TRUE(check().intact);
  // A run stretched over a record that is still there, or moved.
  tamper("UPDATE log_purged_runs SET last_seq = 3 WHERE first_seq = 1");
  EXPECT_THAT(chainOf(check()).problem, HasSubstr("are not the ones it signed for"));
  tamper("UPDATE log_purged_runs SET last_seq = 2 WHERE first_seq = 1");
  ASSERT_TRUE(check().intact);
  // A run that names no purge record.
  tamper("UPDATE log_purged_runs SET purge_id = 9 WHERE first_seq = 4");
  EXPECT_THAT(chainOf(check()).problem, HasSubstr("purge record that is not there"));
  tamper("UPDATE log_purged_runs SET purge_id = 1 WHERE first_seq = 4");
  ASSERT_TRUE(check().intact);
  // The live record before a purged run altered, hash and all: the run no longer follows.
  tamper("UPDATE exchange_log SET record_hash = previous_hash WHERE seq = 3");
  EXPECT_FALSE(check().intact);
}

TEST_P(StoreContractTest, APurgeNeverSignsForAnAlteredRecord) {
  auto store = open();
  const auto ids = appendRetained(*store, {"2026-12-01", "2026-12-01", "2026-12-01", "2030-01-01"});
  store.reset();
  tamper("UPDATE exchange_log SET purpose = 'anders' WHERE seq = 2");
  store = open();
  PurgeBatchRequest request;
  request.as_of = "2026-12-04";
  const PurgeBatchResult purged = purgeExpired(store->log(), request);
  EXPECT_FALSE(purged.ok);
  EXPECT_THAT(purged.error, HasSubstr("record 2 was altered"));
  EXPECT_EQ(purged.removed, 0u);
  EXPECT_TRUE(store->log().findTransaction(ids[0]).has_value());
  EXPECT_TRUE(store->log().healthy());  // a refused purge is not a log that cannot be written
}

// Pushes go on while a purge runs: every append is durable and numbered once, nothing
// still within retention goes, and the log verifies after each round.
// Asked to stop (a gateway shutting down), a purge ends after the window it is in; the log
// verifies and the next purge takes the rest.
TEST_P(StoreContractTest, APurgeAskedToStopEndsAfterItsWindowAndResumesLater) {
  auto store = open();
  appendRetained(*store, std::vector<const char*>(40, "2026-12-01"));
  PurgeBatchRequest request;
  request.as_of = "2026-12-04";
  request.window = 5;
  int windows = 0;
  const PurgeBatchResult stopped = purgeExpired(store->log(), request, [&windows] { return ++windows > 2; });
  ASSERT_TRUE(stopped.ok) << stopped.error;
  EXPECT_FALSE(stopped.done);
  EXPECT_EQ(stopped.removed, 10u);
  EXPECT_TRUE(store->verifyLog().intact);
  const PurgeBatchResult rest = purgeExpired(store->log(), request);
  ASSERT_TRUE(rest.ok) << rest.error;
  EXPECT_EQ(rest.removed, 29u);  // the last record stays
  EXPECT_TRUE(store->verifyLog().intact);
}

TEST_P(StoreContractTest, APurgeRacingLivePushesLosesNothingItShouldKeep) {
  auto store = open();
  std::vector<const char*> days;
  for (int i = 0; i < 600; ++i) days.push_back(i % 3 == 0 ? "2030-01-01" : "2026-12-01");
  const auto first_ids = appendRetained(*store, days);
  std::atomic<bool> pushing{true};
  std::vector<std::string> pushed;
  std::thread pusher([&] {
    for (int i = 0; pushing.load() || i < 300; ++i) {
      ExchangeRecord r = recordOf(kCoa, kGemeente);
      r.retention_until = i % 2 == 0 ? "2030-01-01" : "2026-12-01";
      const AppendResult appended = store->log().appendAndWait(r);
      ASSERT_TRUE(appended.ok) << appended.error;
      if (i % 2 == 0) pushed.push_back(r.transaction_id);
    }
  });
  PurgeBatchRequest request;
  request.as_of = "2026-12-04";
  request.window = 50;
  std::uint64_t removed = 0;
  for (int round = 0; round < 5; ++round) {
    const PurgeBatchResult purged = purgeExpired(store->log(), request);
    ASSERT_TRUE(purged.ok) << purged.error;
    removed += purged.removed;
    const StoreLogCheck check = store->verifyLog();
    ASSERT_TRUE(check.intact) << chainOf(check).problem;
  }
  pushing = false;
  pusher.join();
  removed += purgeExpired(store->log(), request).removed;
  const StoreLogCheck check = store->verifyLog();
  ASSERT_TRUE(check.intact) << chainOf(check).problem;
  EXPECT_EQ(chainOf(check).records_purged, removed);
  EXPECT_EQ(chainOf(check).records_checked + removed, store->log().lastSequence());
  EXPECT_GE(removed, 400u);
  for (std::size_t i = 0; i < first_ids.size(); i += 3) EXPECT_TRUE(store->log().findTransaction(first_ids[i]));
  for (const auto& id : pushed) EXPECT_TRUE(store->log().findTransaction(id)) << id;
}

// Inside serve, the purge runs at its time of day (UTC) against the injected clock, with
// that day as the date retention is judged against.
TEST_P(StoreContractTest, TheScheduledPurgeRunsAtItsTimeOfDay) {
  auto store = open();
  const auto ids = appendRetained(*store, {"2026-12-03", "2026-12-04", "2030-01-01"});
  std::chrono::sys_days day_of_purge{std::chrono::year(2026) / 12 / 4};
  SimulatedTime clock(day_of_purge + std::chrono::hours(3) + std::chrono::minutes(29));
  ScheduledPurge purge(*store, clock, std::chrono::minutes(3 * 60 + 30), std::chrono::milliseconds(5));
  GatewayMetrics metrics;
  purge.start(&metrics);
  EXPECT_EQ(metrics.purge_runs.value({"done"}), 0u);
  // Its polls pass on the simulated clock: a look at 03:29 and a little finds it is not yet time.
  ASSERT_TRUE(testing::advanceUntil(clock, std::chrono::milliseconds(5), [&] { return purge.looks() >= 1; }));
  EXPECT_TRUE(store->log().findTransaction(ids[0]).has_value()) << "purged before its time";
  clock.advance(std::chrono::minutes(2));
  EXPECT_TRUE(testing::advanceUntil(clock, std::chrono::milliseconds(5),
                                    [&] { return !store->log().findTransaction(ids[0]).has_value(); }));
  EXPECT_TRUE(store->log().findTransaction(ids[1]).has_value());  // retained until that very day
  // Counted once the run ends (the records go before it does), with its time for the alert
  // on a purge that stopped running.
  EXPECT_TRUE(testing::advanceUntil(clock, std::chrono::milliseconds(5),
                                    [&] { return metrics.purge_runs.value({"done"}) == 1; }));
  const auto seconds = [](auto time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  };
  EXPECT_GE(metrics.purge_last_completed.value({}), seconds(day_of_purge + std::chrono::minutes(3 * 60 + 30)));
  EXPECT_LE(metrics.purge_last_completed.value({}), seconds(clock.now()));
  // New Year's purge: 2026 is over, and its pseudonym key goes with the last of its records.
  const auto destroyed2026 = [&] {
    for (const auto& p : store->pseudonymKeys().periods()) {
      if (p.period == 2026) return !p.destroyed_utc.empty();
    }
    return false;
  };
  EXPECT_FALSE(destroyed2026());
  clock.advance(std::chrono::days(28));  // 1 January 2027, 03:31
  EXPECT_TRUE(testing::advanceUntil(clock, std::chrono::milliseconds(5), destroyed2026));
  EXPECT_FALSE(store->log().findTransaction(ids[1]).has_value());
  purge.stop();
  EXPECT_TRUE(store->verifyLog().intact);
}

// Writes that are not exchanges (the outbox's delivery state) share the writer's
// transactions but get no record; one that throws is rolled back alone.
TEST_P(StoreContractTest, DatabaseWritesGetNoRecordAndAFailingOneIsRolledBackAlone) {
  {
    auto store = open();
    ExchangeLog& log = store->log();
    ASSERT_TRUE(log.appendAndWait(recordOf(kCoa, kGemeente)).ok);
    const auto write = [&log](ExchangeLog::DatabaseWrite w) {
      std::promise<AppendResult> done;
      log.write(std::move(w), [&done](const AppendResult& r) { done.set_value(r); });
      return done.get_future().get();
    };
    const AppendResult made = write([](sql::Session& s) {
      s.execute("CREATE TABLE side (n INTEGER)");
      s.run("INSERT INTO side VALUES ($1)", {std::int64_t{1}});
    });
    EXPECT_TRUE(made.ok) << made.error;
    EXPECT_EQ(made.sequence, 0u);
    const AppendResult failed = write([](sql::Session& s) {
      s.run("INSERT INTO side VALUES ($1)", {std::int64_t{2}});
      throw std::runtime_error("refused");
    });
    EXPECT_FALSE(failed.ok);
    EXPECT_THAT(failed.error, HasSubstr("refused"));
    EXPECT_TRUE(log.appendAndWait(recordOf(kCoa, kGemeente)).ok);
    EXPECT_EQ(log.lastSequence(), 2u);  // the two records only
  }
  EXPECT_EQ(countOf("SELECT SUM(n) FROM side"), 1);
  EXPECT_TRUE(open()->verifyLog().intact);
}

// Several items in one group commit, the middle one refusing after it wrote: the group is
// written again with a savepoint per item, so that one refuses alone and the others, and
// their records, are written once.
TEST_P(StoreContractTest, AWriteRefusingInsideAGroupRefusesAlone) {
  {
    auto store = open();
    ExchangeLog& log = store->log();
    std::promise<void> holding;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    // Holds the writer, so that everything below queues up and goes as one group.
    log.write(
        [&holding, released](sql::Session& s) {
          s.execute("CREATE TABLE side (n INTEGER)");
          holding.set_value();
          released.wait();
        },
        [](const AppendResult&) {});
    holding.get_future().wait();
    std::vector<std::future<AppendResult>> results;
    const auto queue_write = [&log, &results](int n, bool refuse) {
      auto done = std::make_shared<std::promise<AppendResult>>();
      results.push_back(done->get_future());
      log.write(
          [n, refuse](sql::Session& s) {
            s.run("INSERT INTO side VALUES ($1)", {std::int64_t{n}});
            if (refuse) throw std::runtime_error("refused");
          },
          [done](const AppendResult& r) { done->set_value(r); });
    };
    queue_write(1, false);
    auto first_record = std::make_shared<std::promise<AppendResult>>();
    log.append(recordOf(kCoa, kGemeente), [first_record](const AppendResult& r) { first_record->set_value(r); });
    queue_write(2, true);
    queue_write(4, false);
    release.set_value();
    EXPECT_TRUE(results[0].get().ok);
    EXPECT_FALSE(results[1].get().ok);
    EXPECT_TRUE(results[2].get().ok);
    const AppendResult recorded = first_record->get_future().get();
    EXPECT_TRUE(recorded.ok);
    EXPECT_EQ(recorded.sequence, 1u);
    EXPECT_EQ(log.lastSequence(), 1u);  // the record once, though its group was written twice
  }
  EXPECT_EQ(countOf("SELECT SUM(n) FROM side"), 5);
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM side"), 2);
  EXPECT_TRUE(open()->verifyLog().intact);
}

// Bookkeeping written without a sync of its own is still written, and in order with
// the durable writes around it.
TEST_P(StoreContractTest, DeferredWritesAreCommittedInOrder) {
  {
    auto store = open();
    ExchangeLog& log = store->log();
    std::promise<AppendResult> made;
    std::promise<AppendResult> deferred;
    log.write([](sql::Session& s) { s.execute("CREATE TABLE side (n INTEGER)"); },
              [&made](const AppendResult& r) { made.set_value(r); });
    ASSERT_TRUE(made.get_future().get().ok);
    log.write([](sql::Session& s) { s.run("INSERT INTO side VALUES ($1)", {std::int64_t{1}}); },
              [&deferred](const AppendResult& r) { deferred.set_value(r); }, ExchangeLog::Sync::kDeferred);
    EXPECT_TRUE(deferred.get_future().get().ok);
    ASSERT_TRUE(log.appendAndWait(recordOf(kCoa, kGemeente)).ok);
  }
  EXPECT_EQ(countOf("SELECT COUNT(*) FROM side"), 1);
  EXPECT_TRUE(open()->verifyLog().intact);
}

// Issue 26: one source of time stamps the whole chain. With a simulated clock years ahead,
// every record the store writes itself (a registry change), every checkpoint and head,
// every outbox state, identity link and pseudonym key carries the simulated day, and
// nothing the system clock's.
TEST_P(StoreContractTest, OneClockStampsEveryRecordHeadCheckpointAndOutboxState) {
  SimulatedTime clock(std::chrono::sys_days(std::chrono::year_month_day(std::chrono::year(2031), std::chrono::month(3),
                                                                        std::chrono::day(4))) +
                      std::chrono::hours(5));
  const std::string day = "2031-03-04";
  {
    GatewayStore store(configOf(), clock);
    const SubjectKey person{SubjectKey::Kind::kBsn, "111222333"};
    ASSERT_TRUE(store.registries()
                    .grantConsent({person, "inburgering", *Oin::parse(kSchool), "doc", *parseIsoDate(day), {}})
                    .ok);
    OutboxEntry entry = entryFor(newUuidV7());
    ExchangeRecord r = recordOf(kCoa, kGemeente, entry.transaction_id);
    r.time_utc = clock.nowRfc3339();  // as the exchange routes stamp it, by the same clock
    const StoreChange link = store.registries().identityLinkChange("111222333", "1000000001", r.transaction_id);
    ASSERT_TRUE(store.log()
                    .appendAndWait(r,
                                   [entry, link](StoreTransaction& tx) {
                                     tx.enqueueDelivery(entry, "<a/>");
                                     link(tx);
                                   })
                    .ok);
    clock.advance(std::chrono::minutes(5));
    EXPECT_TRUE(waitFor([&](auto d) { store.outbox().markDelivered(*store.outbox().find(entry.transaction_id), d); }));
  }  // closing writes the last checkpoint and head
  const auto stamped_elsewhere = [&](const std::string& table, const std::string& column) {
    return countOf("SELECT COUNT(*) FROM " + table + " WHERE " + column + " IS NOT NULL AND " + column +
                   " <> '' AND substr(" + column + ", 1, 10) <> '" + day + "'");
  };
  const auto stamped = [&](const std::string& table, const std::string& column) {
    return countOf("SELECT COUNT(*) FROM " + table + " WHERE substr(" + column + ", 1, 10) = '" + day + "'");
  };
  for (const auto& [table, column] :
       std::vector<std::pair<std::string, std::string>>{{"exchange_log", "time_utc"},
                                                        {"log_heads", "created_utc"},
                                                        {"log_checkpoints", "created_utc"},
                                                        {"outbox", "finished_utc"},
                                                        {"identity_links", "linked_utc"},
                                                        {"pseudonym_keys", "created_utc"}}) {
    EXPECT_GE(stamped(table, column), 1) << table;
    EXPECT_EQ(stamped_elsewhere(table, column), 0) << table;
  }
}

// A reader behind (another process on the SQLite file, another node on PostgreSQL)
// applies the change rows it missed, and loads everything only when rows are missing.
TEST_P(StoreContractTest, AReaderBehindAppliesTheChangesItMissedAndLoadsAllOnlyWhenRowsAreMissing) {
  auto a = open();
  const auto session = backend_.rawSession();
  RegistrySnapshot behind;
  behind.replace(registry_tables::load(*session));
  const std::uint64_t start = behind.version();
  const SubjectKey person{SubjectKey::Kind::kBsn, "111222333"};
  const Oin school = *Oin::parse(kSchool);
  const auto first = a->registries().grantConsent({person, "inburgering", school, "doc-1", day("2026-01-01"), {}});
  const auto second = a->registries().grantConsent({person, "inburgering", school, "doc-2", day("2026-02-01"), {}});
  ASSERT_TRUE(first.ok && second.ok);
  ASSERT_TRUE(a->registries().withdrawConsent(first.id, day("2026-03-01")).ok);
  // The table loses a row behind the store's back: a whole reload would not have it, the
  // change rows do.
  session->execute("DELETE FROM consents WHERE evidence_ref = 'doc-2'");
  registry_tables::catchUp(*session, behind);
  EXPECT_EQ(behind.version(), start + 3);
  ASSERT_TRUE(behind.consent(second.id).has_value()) << "applied from the change rows";
  EXPECT_EQ(behind.consent(first.id)->withdrawn, "2026-03-01");
  // Without the rows (removed, or written by a version that kept none) it loads everything.
  session->execute("DELETE FROM registry_changes");
  ASSERT_TRUE(a->registries().withdrawConsent(first.id, day("2026-03-01")).ok == false);
  const auto third = a->registries().grantConsent({person, "inburgering", school, "doc-3", day("2026-04-01"), {}});
  ASSERT_TRUE(third.ok);
  session->execute("DELETE FROM registry_changes");
  registry_tables::catchUp(*session, behind);
  EXPECT_EQ(behind.version(), start + 4);
  EXPECT_TRUE(behind.consent(third.id).has_value());
  EXPECT_FALSE(behind.consent(second.id).has_value()) << "loaded from the tables, which lost it";
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContractTest, ::testing::Values(Backend::kSqlite, Backend::kPostgresql),
                         testing::BackendNamed());

// A file of layout 3 (the registries in SQLite's rowid order, no change rows, an outbox
// without lease columns, a chain whose rows do not name it) is brought to layout 6 when
// opened: PostgreSQL's explicit order columns with the rows in the order they had, lookups
// answering as before, change rows from then on, waiting entries that still leave, and a
// log that still verifies under the head it had.
TEST(SqliteLayoutTest, AFileOfLayout3IsBroughtToTheCurrentLayoutAndAnswersAsBefore) {
  testing::TempDir dir;
  const testing::StoreBackend backend(Backend::kSqlite, dir.path());
  const SubjectKey bsn{SubjectKey::Kind::kBsn, "111222333"};
  const Oin gemeente = *Oin::parse(kGemeente);
  const Oin school = *Oin::parse(kSchool);
  std::string consent_id;
  std::string waiting;
  {
    GatewayStore store(backend.config());
    ASSERT_TRUE(store.registries().registerKoppeling(bsn, gemeente, "0363", day("2026-03-01"), "e1").ok);
    ASSERT_TRUE(store.registries().registerKoppeling(bsn, gemeente, "0518", day("2026-05-01"), "e2").ok);
    const auto granted = store.registries().grantConsent({bsn, "inburgering", school, "doc", day("2026-01-01"), {}});
    ASSERT_TRUE(granted.ok);
    consent_id = granted.id;
    const OutboxEntry entry = entryFor(newUuidV7());
    waiting = entry.transaction_id;
    ASSERT_TRUE(store.log()
                    .appendAndWait(recordOf(kCoa, kGemeente, waiting),
                                   [entry](StoreTransaction& tx) { tx.enqueueDelivery(entry, "<w/>"); })
                    .ok);
  }
  // Back to layout 3, as a gateway of that version left the file.
  backend.execute(R"sql(
CREATE TABLE k3 (subject_key INTEGER NOT NULL, subject_ref TEXT NOT NULL, gemeente_cbs TEXT NOT NULL,
                 valid_from TEXT NOT NULL, valid_until TEXT, source_transaction TEXT NOT NULL);
INSERT INTO k3 SELECT subject_key, subject_ref, gemeente_cbs, valid_from, valid_until, source_transaction
  FROM koppeling ORDER BY id;
DROP TABLE koppeling;
ALTER TABLE k3 RENAME TO koppeling;
CREATE TABLE c3 (id TEXT PRIMARY KEY, subject_key INTEGER NOT NULL, subject_ref TEXT NOT NULL, purpose TEXT NOT NULL,
                 recipient_oin TEXT NOT NULL, evidence_ref TEXT NOT NULL, granted TEXT NOT NULL, expires TEXT,
                 withdrawn TEXT);
INSERT INTO c3 SELECT id, subject_key, subject_ref, purpose, recipient_oin, evidence_ref, granted, expires, withdrawn
  FROM consents ORDER BY position;
DROP TABLE consents;
ALTER TABLE c3 RENAME TO consents;
DROP TABLE registry_changes;
ALTER TABLE outbox DROP COLUMN lease_node;
ALTER TABLE outbox DROP COLUMN lease_until_ms;
ALTER TABLE outbox DROP COLUMN lease_fence;
ALTER TABLE exchange_log DROP COLUMN node_id;
CREATE TABLE cp3 (seq INTEGER PRIMARY KEY, record_hash BLOB NOT NULL, created_utc TEXT NOT NULL,
                  previous_digest BLOB NOT NULL, signature BLOB NOT NULL);
INSERT INTO cp3 SELECT seq, record_hash, created_utc, previous_digest, signature FROM log_checkpoints;
DROP TABLE log_checkpoints;
ALTER TABLE cp3 RENAME TO log_checkpoints;
DROP TABLE log_purges;
CREATE TABLE log_purges (id INTEGER PRIMARY KEY, created_utc TEXT NOT NULL, as_of TEXT NOT NULL, reason TEXT NOT NULL,
                         removed INTEGER NOT NULL, runs_digest BLOB NOT NULL, previous_digest BLOB NOT NULL,
                         signature BLOB NOT NULL);
DROP TABLE log_purged_runs;
CREATE TABLE log_purged_runs (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, previous_hash BLOB NOT NULL,
                              last_hash BLOB NOT NULL, purge_id INTEGER NOT NULL);
CREATE TABLE log_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, record_hash BLOB NOT NULL,
                       created_utc TEXT NOT NULL, checkpoint_digest BLOB NOT NULL, signature BLOB NOT NULL);
INSERT INTO log_head SELECT 1, seq, record_hash, created_utc, checkpoint_digest, signature FROM log_heads;
DROP TABLE log_heads;
ALTER TABLE outbox DROP COLUMN channel_state;
PRAGMA user_version=3;
)sql");
  ASSERT_EQ(backend.count("SELECT COUNT(*) FROM pragma_table_info('koppeling') WHERE name = 'id'"), 0);
  GatewayStore store(backend.config());
  EXPECT_EQ(backend.count("PRAGMA user_version"), 7);
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM pragma_table_info('outbox') WHERE name = 'channel_state'"), 1);
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM log_heads WHERE node_id = 'local' AND seq = 4"), 1);
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM exchange_log WHERE node_id = 'local'"), 4);
  const StoreLogCheck migrated = store.verifyLog();
  EXPECT_TRUE(migrated.intact) << migrated.problem;
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM pragma_table_info('consents') WHERE name = 'position'"), 1);
  const sql::Rows order = backend.rawSession()->run("SELECT gemeente_cbs FROM koppeling ORDER BY id");
  ASSERT_EQ(order.size(), 2);
  EXPECT_EQ(order.text(0, 0), "0363");
  EXPECT_EQ(order.text(1, 0), "0518");
  EXPECT_EQ(store.registries().gemeenteOf(bsn, day("2026-04-01")), "0363");
  EXPECT_EQ(store.registries().gemeenteOf(bsn, day("2026-06-01")), "0518");
  EXPECT_EQ(store.registries().findActive(bsn, "inburgering", school, day("2026-06-01")), consent_id);
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'koppeling_one_open'"), 1);
  // And it writes as layout 4 does: a change and its row.
  ASSERT_TRUE(store.registries().registerKoppeling(bsn, gemeente, "0599", day("2026-07-01"), "e3").ok);
  EXPECT_EQ(backend.count("SELECT COUNT(*) FROM registry_changes"), 1);
  EXPECT_EQ(store.registries().gemeenteOf(bsn, day("2026-07-01")), "0599");
  // The entry that waited in layout 3 is due and leaves, fenced as every entry is.
  OutboxStore& outbox = store.outbox();
  const auto due = outbox.due(std::numeric_limits<std::int64_t>::max(), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].transaction_id, waiting);
  std::promise<bool> delivered;
  outbox.markDelivered(due[0], [&delivered](bool ok, const std::string&) { delivered.set_value(ok); });
  EXPECT_TRUE(delivered.get_future().get());
  EXPECT_EQ(outbox.find(waiting)->state, DeliveryState::kDelivered);
  EXPECT_FALSE(outbox.body(waiting).has_value());
}

// --- several nodes on one PostgreSQL database ---

class PostgresNodesTest : public ::testing::Test {
 protected:
  static bool waitFor(auto call) {
    std::promise<bool> done;
    call([&done](bool ok, const std::string&) { done.set_value(ok); });
    return done.get_future().get();
  }

  GatewayConfig nodeConfig(const std::string& node_id) const {
    GatewayConfig config;
    config.checkpoint_every_records = 5;
    config.storage_backend = StorageBackend::kPostgresql;
    config.storage_dsn = database_.dsn();
    config.storage_node_id = node_id;
    config.storage_key_dir = dir_.path() / node_id;
    std::filesystem::create_directories(config.storage_key_dir);
    const auto first_key = dir_.path() / "node-a" / "subject.key";
    if (node_id != "node-a" && std::filesystem::exists(first_key)) {
      std::filesystem::copy_file(first_key, config.storage_key_dir / "subject.key",
                                 std::filesystem::copy_options::overwrite_existing);
    }
    return config;
  }

  testing::TempDir dir_;
  testing::PostgresDatabase database_;
};

TEST_F(PostgresNodesTest, EachNodeKeepsItsOwnChainAndPositionsOrderThemAll) {
  GatewayStore a(nodeConfig("node-a"));
  GatewayStore b(nodeConfig("node-b"));
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(a.log().appendAndWait(recordOf(kCoa, kGemeente)).sequence, static_cast<std::uint64_t>(i));
    EXPECT_EQ(b.log().appendAndWait(recordOf(kCoa, kGemeente)).sequence, static_cast<std::uint64_t>(i));
  }
  ExchangeQuery query;
  query.organisation_oin = kCoa;
  const auto all = a.log().findExchanges(query);
  ASSERT_EQ(all.size(), 6u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].sequence, all[i].sequence);
  pg::Connection c(database_.dsn());
  EXPECT_EQ(c.run("SELECT COUNT(DISTINCT node_id) FROM log_heads").integer(0, 0), 2);
}

TEST_F(PostgresNodesTest, TheSameTransactionIdPushedToTwoNodesAtOnceIsOneExchange) {
  GatewayStore a(nodeConfig("node-a"));
  GatewayStore b(nodeConfig("node-b"));
  constexpr int kIds = 50;
  std::vector<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.push_back(newUuidV7());
  std::atomic<int> accepted{0};
  const auto push = [&](GatewayStore& node) {
    std::vector<std::future<AppendResult>> results;
    for (const auto& id : ids) {
      auto promise = std::make_shared<std::promise<AppendResult>>();
      results.push_back(promise->get_future());
      const OutboxEntry entry = entryFor(id);
      node.log().append(
          recordOf(kCoa, kGemeente, id),
          [id, entry](StoreTransaction& tx) {
            if (tx.exchangeLogged(id)) return ChangeVerdict(Reason::kTransactionKnown);
            tx.enqueueDelivery(entry, "<body/>");
            return kApplied;
          },
          [promise](const AppendResult& r) { promise->set_value(r); });
    }
    for (auto& r : results) {
      const AppendResult result = r.get();
      if (result.ok) {
        ++accepted;
      } else {
        EXPECT_EQ(result.declined, Reason::kTransactionKnown);
      }
    }
  };
  std::thread on_a([&] { push(a); });
  std::thread on_b([&] { push(b); });
  on_a.join();
  on_b.join();
  EXPECT_EQ(accepted.load(), kIds);
  EXPECT_EQ(a.outbox().count(DeliveryState::kPending), static_cast<std::uint64_t>(kIds));
  pg::Connection c(database_.dsn());
  EXPECT_EQ(c.run("SELECT COUNT(*) FROM exchange_log").integer(0, 0), kIds);
}

TEST_F(PostgresNodesTest, ARegistryChangeOnOneNodeHoldsOnTheOther) {
  GatewayStore a(nodeConfig("node-a"));
  GatewayStore b(nodeConfig("node-b"));
  const SubjectKey person{SubjectKey::Kind::kBsn, "111222333"};
  const Oin school = *Oin::parse(kSchool);
  const auto granted = a.registries().grantConsent({person, "inburgering", school, "doc-1", day("2026-01-01"), {}});
  ASSERT_TRUE(granted.ok) << granted.error;
  // Node b has pushed nothing since: its watcher hears of the change.
  EXPECT_TRUE(testing::waitUntil(
      [&] { return b.registries().findActive(person, "inburgering", school, day("2026-06-01")).has_value(); }));
  ASSERT_TRUE(b.registries().withdrawConsent(granted.id, day("2026-07-01")).ok);
  EXPECT_TRUE(testing::waitUntil(
      [&] { return !a.registries().findActive(person, "inburgering", school, day("2026-08-01")).has_value(); }));
  // Node a's next write sees b's change too, without the watcher: versions are compared.
  EXPECT_FALSE(a.registries().withdrawConsent(granted.id, day("2026-07-02")).ok);
}

TEST_F(PostgresNodesTest, ADeadNodesEntryGoesToAnotherAfterItsLeaseAndLateChangesAreFenced) {
  GatewayConfig config_a = nodeConfig("node-a");
  config_a.outbox.lease = std::chrono::milliseconds(1'000);
  GatewayStore a(config_a);
  GatewayConfig config_b = nodeConfig("node-b");
  config_b.outbox.lease = std::chrono::milliseconds(1'000);
  GatewayStore b(config_b);
  OutboxEntry entry = entryFor(newUuidV7());
  entry.next_attempt_ms = 1'000'000;
  ASSERT_TRUE(a.log()
                  .appendAndWait(recordOf(kCoa, kGemeente, entry.transaction_id),
                                 [entry](StoreTransaction& tx) { tx.enqueueDelivery(entry, "<x/>"); })
                  .ok);
  // Node a queued it and holds it until 1'001'000 (it would deliver it straight away).
  EXPECT_TRUE(b.outbox().due(1'000'500, 10).empty());
  const auto taken = b.outbox().due(1'001'000, 10);  // a is gone: its lease ends
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].lease.fence, 1);
  EXPECT_EQ(taken[0].lease.until_ms, 1'002'000);
  EXPECT_TRUE(a.outbox().due(1'001'500, 10).empty());  // b holds it now
  // Node a comes back and reports what it did under its old lease: nothing changes.
  EXPECT_TRUE(waitFor([&](auto d) { a.outbox().recordFailure(entry, "503", std::nullopt, d); }));
  EXPECT_TRUE(waitFor([&](auto d) { a.outbox().markDelivered(entry, d); }));
  EXPECT_FALSE(waitFor([&](auto d) { a.outbox().recordStep(entry, "{}", d); }));  // a step too
  EXPECT_EQ(b.outbox().find(entry.transaction_id)->channel_state, "");
  EXPECT_EQ(b.outbox().find(entry.transaction_id)->state, DeliveryState::kPending);
  EXPECT_EQ(b.outbox().find(entry.transaction_id)->attempts, 0u);
  EXPECT_EQ(b.outbox().body(entry.transaction_id), "<x/>");
  EXPECT_TRUE(waitFor([&](auto d) { b.outbox().markDelivered(taken[0], d); }));
  EXPECT_EQ(a.outbox().find(entry.transaction_id)->state, DeliveryState::kDelivered);
  EXPECT_TRUE(a.outbox().due(std::numeric_limits<std::int64_t>::max(), 10).empty());
}

TEST_F(PostgresNodesTest, TwoNodesReadingTheOutboxAtOnceTakeDifferentEntries) {
  GatewayStore a(nodeConfig("node-a"));
  GatewayStore b(nodeConfig("node-b"));
  constexpr int kEntries = 200;
  for (int i = 0; i < kEntries; ++i) {
    OutboxEntry entry = entryFor(newUuidV7());
    entry.next_attempt_ms = -100'000;  // queued long ago; its first lease has passed
    a.log().append(
        recordOf(kCoa, kGemeente, entry.transaction_id),
        [entry](StoreTransaction& tx) { tx.enqueueDelivery(entry, "<x/>"); }, [](const AppendResult&) {});
  }
  ASSERT_TRUE(a.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);  // after the queued ones
  std::vector<OutboxEntry> by_a;
  std::vector<OutboxEntry> by_b;
  std::thread on_a([&] {
    for (int i = 0; i < 3; ++i) {
      for (auto& e : a.outbox().due(0, kEntries)) by_a.push_back(std::move(e));
    }
  });
  std::thread on_b([&] {
    for (int i = 0; i < 3; ++i) {
      for (auto& e : b.outbox().due(0, kEntries)) by_b.push_back(std::move(e));
    }
  });
  on_a.join();
  on_b.join();
  // A node reads its own leases again (its worker skips what it has in hand); what one node
  // took, the other never gets.
  std::set<std::string> of_a;
  std::set<std::string> of_b;
  for (const auto& e : by_a) of_a.insert(e.transaction_id);
  for (const auto& e : by_b) of_b.insert(e.transaction_id);
  for (const auto& id : of_b) EXPECT_FALSE(of_a.contains(id)) << "taken by both nodes: " << id;
  std::set<std::string> all = of_a;
  all.insert(of_b.begin(), of_b.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kEntries));
  EXPECT_EQ(b.outbox().due(0, kEntries).size(), of_b.size()) << "b reads its own leases again, no more";
}

TEST_F(PostgresNodesTest, EveryNodesChainVerifiesAndTamperingIsFoundInTheNodeItHitAt) {
  std::map<std::string, std::string> keys;
  {
    GatewayStore a(nodeConfig("node-a"));
    GatewayStore b(nodeConfig("node-b"));
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(a.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
      ASSERT_TRUE(b.log().appendAndWait(recordOf(kSchool, kGemeente)).ok);
    }
    keys = {{"node-a", a.log().publicKeyPem()}, {"node-b", b.log().publicKeyPem()}};
  }
  const auto witnessed = readPgSignedHeads(database_.dsn());
  ASSERT_EQ(witnessed.size(), 2u);
  const std::vector<WitnessedHead> witnesses{{witnessed.at("node-a"), "node-a"}, {witnessed.at("node-b"), "node-b"}};
  const PgLogVerification fine = verifyPgLog(database_.dsn(), keys, witnesses, 5);
  EXPECT_TRUE(fine.intact) << fine.problem;
  ASSERT_EQ(fine.nodes.size(), 2u);
  for (const auto& n : fine.nodes) {
    EXPECT_TRUE(n.verification.intact) << n.node_id << ": " << n.verification.problem;
    EXPECT_EQ(n.verification.records_checked, 12u);
    EXPECT_GE(n.verification.checkpoints_checked, 2u);  // every 5 records
    EXPECT_FALSE(n.key_from_database);
  }
  pg::Connection c(database_.dsn());
  // A record of node b altered: node b fails at that record, node a stays intact.
  c.execute("UPDATE exchange_log SET purpose = 'anders' WHERE node_id = 'node-b' AND seq = 7");
  PgLogVerification altered = verifyPgLog(database_.dsn(), keys, witnesses, 5);
  EXPECT_FALSE(altered.intact);
  EXPECT_TRUE(altered.nodes[0].verification.intact);
  EXPECT_FALSE(altered.nodes[1].verification.intact);
  EXPECT_EQ(altered.nodes[1].verification.first_bad_sequence, 7u);
  c.execute("UPDATE exchange_log SET purpose = 'inburgering' WHERE node_id = 'node-b' AND seq = 7");
  EXPECT_TRUE(verifyPgLog(database_.dsn(), keys, witnesses, 5).intact);
  // Node a's tail cut off with its head and checkpoints rolled back to match: the witness
  // still has the head it was given.
  c.execute("DELETE FROM exchange_log WHERE node_id = 'node-a' AND seq > 10");
  const PgLogVerification cut = verifyPgLog(database_.dsn(), keys, witnesses, 5);
  EXPECT_FALSE(cut.intact);
  EXPECT_FALSE(cut.nodes[0].verification.intact);
  // A whole node removed from the database: its witness is the proof.
  c.execute(
      "DELETE FROM exchange_log WHERE node_id = 'node-b'; DELETE FROM log_checkpoints WHERE node_id = 'node-b';"
      "DELETE FROM log_heads WHERE node_id = 'node-b'; DELETE FROM log_nodes WHERE node_id = 'node-b'");
  const PgLogVerification gone = verifyPgLog(database_.dsn(), {{"node-a", keys.at("node-a")}}, witnesses, 5);
  EXPECT_FALSE(gone.intact);
  EXPECT_THAT(gone.problem, HasSubstr("node-b"));
}

TEST_F(PostgresNodesTest, AKeyTheDatabaseSwappedIsNoticed) {
  std::string key_a;
  {
    GatewayStore a(nodeConfig("node-a"));
    ASSERT_TRUE(a.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
    key_a = a.log().publicKeyPem();
  }
  // Without keys of its own the verifier uses the database's, and says so.
  const PgLogVerification with_database_keys = verifyPgLog(database_.dsn(), {}, {});
  EXPECT_TRUE(with_database_keys.intact);
  EXPECT_TRUE(with_database_keys.nodes.at(0).key_from_database);
  // Someone with write access re-registers the node under a key of their own.
  GatewayStore other(nodeConfig("node-x"));
  pg::Connection c(database_.dsn());
  c.run("UPDATE log_nodes SET public_key_pem = $1 WHERE node_id = 'node-a'",
        {std::string_view(other.log().publicKeyPem())});
  const PgLogVerification swapped = verifyPgLog(database_.dsn(), {{"node-a", key_a}}, {});
  EXPECT_FALSE(swapped.intact);
}

TEST_F(PostgresNodesTest, ARefusedChangeReportsTheServersMessageWithoutTheValuesItQuotes) {
  GatewayStore a(nodeConfig("node-a"));
  ConsentEntry consent{"consent-1", std::string(64, 'e'), "inburgering", kSchool, "doc-1", "2026-01-01", "", ""};
  const AppendResult twice = a.log().appendAndWait(recordOf(kCoa, kGemeente), [consent](StoreTransaction& tx) {
    tx.insertConsent(consent);
    tx.insertConsent(consent);  // the same id again: a unique violation
  });
  EXPECT_FALSE(twice.ok);
  EXPECT_THAT(twice.error, HasSubstr("duplicate key"));
  // PostgreSQL's DETAIL line would name the key's value; the error goes to the diagnostic log.
  EXPECT_THAT(twice.error, ::testing::Not(HasSubstr("consent-1")));
}

TEST_F(PostgresNodesTest, ANodeIdTakenByAnotherKeyIsRefused) {
  { GatewayStore a(nodeConfig("node-a")); }
  GatewayConfig impostor = nodeConfig("node-a");
  impostor.storage_key_dir = dir_.path() / "elsewhere";
  std::filesystem::create_directories(impostor.storage_key_dir);
  std::filesystem::copy_file(dir_.path() / "node-a" / "subject.key", impostor.storage_key_dir / "subject.key");
  EXPECT_THAT([&] { GatewayStore s(impostor); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("registered with another signing key")));
}

TEST_F(PostgresNodesTest, ANodeWithAnotherSubjectKeyIsRefused) {
  { GatewayStore a(nodeConfig("node-a")); }
  GatewayConfig other = nodeConfig("node-b");
  std::filesystem::remove(other.storage_key_dir / "subject.key");  // a fresh key is made
  EXPECT_THAT([&] { GatewayStore s(other); }, ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("subject key")));
}

TEST(PostgresFailClosedTest, ADatabaseThatGoesAwayFailsEveryWriteClosedAndTheNodeRecoversByItself) {
  testing::TempDir dir;
  PostgresCluster cluster(dir.path() / "cluster.env");
  testing::PostgresDatabase database(true, cluster.adminDsn());
  GatewayConfig config;
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = database.dsn();
  config.storage_node_id = "node-a";
  config.storage_key_dir = dir.path() / "keys";
  config.storage_busy_timeout = std::chrono::milliseconds(500);
  GatewayStore store(config);
  ASSERT_TRUE(store.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
  EXPECT_TRUE(store.log().healthy());

  cluster.pause();
  const std::string lost = newUuidV7();
  const AppendResult refused = store.log().appendAndWait(recordOf(kCoa, kGemeente, lost));
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(store.log().healthy());  // /readyz answers 503 from here
  EXPECT_FALSE(store.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);

  cluster.resume();
  const AppendResult back = store.log().appendAndWait(recordOf(kCoa, kGemeente));
  EXPECT_TRUE(back.ok) << back.error;
  EXPECT_EQ(back.sequence, 2u);  // the refused records never entered the chain
  EXPECT_TRUE(store.log().healthy());
  EXPECT_FALSE(store.log().findTransaction(lost).has_value());  // the reader reconnects too

  // Read-only (a failed-over standby not yet promoted): refused the same way.
  pg::Connection admin(database.dsn());
  admin.execute("ALTER DATABASE " + database.name() + " SET default_transaction_read_only = on");
  admin.execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  EXPECT_FALSE(store.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
  EXPECT_FALSE(store.log().healthy());
  admin.execute("ALTER DATABASE " + database.name() + " SET default_transaction_read_only = off");
  admin.execute(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  const AppendResult writable = store.log().appendAndWait(recordOf(kCoa, kGemeente));
  EXPECT_TRUE(writable.ok) << writable.error;
  EXPECT_EQ(writable.sequence, 3u);
}

TEST(PostgresSchemaTest, ANodeRefusesADatabaseNotAtItsSchemaVersion) {
  testing::TempDir dir;
  testing::PostgresDatabase empty(/*migrated=*/false);
  GatewayConfig config;
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = empty.dsn();
  config.storage_node_id = "node-a";
  config.storage_key_dir = dir.path();
  EXPECT_THAT([&] { GatewayStore s(config); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("ketenpoort db migrate")));
  EXPECT_EQ(migrateStore(config), pg::kSchemaVersion);
  EXPECT_EQ(migrateStore(config), 0);  // twice is harmless
  { GatewayStore s(config); }
  pg::Connection c(empty.dsn());
  c.run("INSERT INTO ketenpoort_schema (version, description, applied_utc) VALUES ($1, 'from the future', '')",
        {std::int64_t{pg::kSchemaVersion + 1}});
  EXPECT_THAT([&] { GatewayStore s(config); },
              ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("newer than this gateway")));
  EXPECT_THROW(migrateStore(config), std::runtime_error);
}

// The columns and named indexes of a database's tables, one line each, sorted.
std::string schemaShape(pg::Connection& c) {
  std::string shape;
  const sql::Rows columns = c.run(
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
      "COALESCE(column_default, '') || ' ' || is_identity FROM information_schema.columns "
      "WHERE table_schema = 'public' ORDER BY 1");
  for (int i = 0; i < columns.size(); ++i) shape += std::string(columns.text(i, 0)) + "\n";
  const sql::Rows indexes = c.run(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' "
      "AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' ORDER BY 1");
  for (int i = 0; i < indexes.size(); ++i) shape += std::string(indexes.text(i, 0)) + "\n";
  return shape;
}

std::string fileText(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PostgresSchemaTest, ADatabaseOfVersionOneIsUpgradedToTheShapeAFreshOneHas) {
  testing::PostgresDatabase fresh(/*migrated=*/false);
  testing::PostgresDatabase old(/*migrated=*/false);
  pg::Connection fresh_connection(fresh.dsn());
  EXPECT_EQ(pg::migrate(fresh_connection), pg::kSchemaVersion);
  pg::Connection old_connection(old.dsn());
  old_connection.execute(fileText(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/pg_schema_v1.sql"));
  old_connection.execute(
      "CREATE TABLE ketenpoort_schema (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_utc TEXT NOT NULL);"
      "INSERT INTO ketenpoort_schema VALUES (1, 'the store with a hash chain per node', '2026-01-01T00:00:00Z')");
  EXPECT_EQ(pg::migrate(old_connection), pg::kSchemaVersion - 1);
  const std::string fresh_shape = schemaShape(fresh_connection);
  EXPECT_THAT(fresh_shape, HasSubstr("exchange_log.foreign_span_id text NO"));
  EXPECT_THAT(fresh_shape, HasSubstr("koppeling_one_open"));
  EXPECT_EQ(schemaShape(old_connection), fresh_shape);
  // And a node works on it.
  testing::TempDir dir;
  GatewayConfig config;
  config.storage_backend = StorageBackend::kPostgresql;
  config.storage_dsn = old.dsn();
  config.storage_node_id = "node-a";
  config.storage_key_dir = dir.path();
  GatewayStore store(config);
  EXPECT_TRUE(store.log().appendAndWait(recordOf(kCoa, kGemeente)).ok);
  EXPECT_TRUE(store.verifyLog().intact);
}

}  // namespace
}  // namespace ketenpoort
