// COA klantprofielen through the real HTTPS API to a simulated gemeente: filtered,
// logged, queued durably, delivered once, and never to the wrong gemeente.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <boost/json/parse.hpp>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/standard_adapters.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/integration/gateway_fixture.hpp"
#include "tests/support/gateway_process.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PushFlowTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    config_.outbox.initial_backoff = std::chrono::milliseconds(20);
    config_.outbox.max_backoff = std::chrono::milliseconds(100);
    profile_ = readFile(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/klantprofiel.xml");
  }

  // Amsterdam's system as a receiver; Den Haag has no endpoint and uses its postbus.
  void startAmsterdam(double fail_rate = 0.0) {
    GemeenteSimulatorOptions o;
    o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("gemeente-0363"), env_->keyOf("gemeente-0363")};
    o.out_dir = dir_.path() / "received" / "gemeente-0363";
    o.fail_rate = fail_rate;
    amsterdam_ = std::make_unique<GemeenteSimulator>(o);
    amsterdam_->start();
    for (Party& p : config_.parties) {
      if (p.id == "gemeente-0363") {
        p.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(amsterdam_->port()) + "/berichten"}};
      }
    }
  }

  void start() {
    server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_));
    server_->start(false);
  }

  HttpsClient as(const std::string& party) const {
    return HttpsClient({"127.0.0.1", server_->exchangePort(), env_->pkiDir() / "ca.pem", env_->certificateOf(party),
                        env_->keyOf(party), std::chrono::seconds(5)});
  }

  HttpsResponse push(const std::string& document, std::vector<std::pair<std::string, std::string>> extra = {},
                     const std::string& flow = "coa.klantprofiel", const std::string& party = "coa") {
    auto client = as(party);
    extra.emplace_back("X-Doelbinding", "regie-inburgering");
    extra.emplace_back("Content-Type", "application/xml");
    auto r = client.request("POST", "/v1/berichten/" + flow, extra, document);
    EXPECT_TRUE(std::holds_alternative<HttpsResponse>(r)) << std::get<std::string>(r);
    return std::holds_alternative<HttpsResponse>(r) ? std::get<HttpsResponse>(r) : HttpsResponse{};
  }

  static std::string code(const HttpsResponse& r) {
    return std::string(boost::json::parse(r.body).at("code").as_string());
  }

  std::vector<LoggedExchange> logged(const std::string& flow) {
    ExchangeQuery q;
    q.organisation_oin = config_.findPartyById("coa")->oin.str();
    q.flow = flow;
    return server_->exchangeLog().findExchanges(q);
  }

  std::vector<std::filesystem::path> received() const {
    std::vector<std::filesystem::path> out;
    const auto dir = dir_.path() / "received" / "gemeente-0363";
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".json") out.push_back(e.path());
    }
    return out;
  }

  std::string profileFor(const std::string& bsn, const std::string& cbs) const {
    std::string p = profile_;
    p.replace(p.find("725763863"), 9, bsn);
    p.replace(p.find("<gemeentecode>0363"), 18, "<gemeentecode>" + cbs);
    return p;
  }

  // Bodies waiting for delivery (outbox_bodies, beside the outbox in the database).
  std::int64_t payloadsKept() const {
    sqlite3* db = nullptr;
    std::int64_t n = -1;
    if (sqlite3_open_v2(config_.storage_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox_bodies", -1, &q, nullptr) == SQLITE_OK &&
          sqlite3_step(q) == SQLITE_ROW) {
        n = sqlite3_column_int64(q, 0);
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
  }

  std::string profile_;
  std::unique_ptr<GemeenteSimulator> amsterdam_;
};

TEST_F(PushFlowTest, ProfileIsFilteredLoggedAndDeliveredOnce) {
  startAmsterdam();
  start();
  // COA's own trace: continued, with COA's span as the exchange's parent (LDV).
  const auto accepted = push(profile_, {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  const auto answer = boost::json::parse(accepted.body);
  const std::string txn(answer.at("transactie_id").as_string());
  EXPECT_TRUE(isUuid(txn));
  EXPECT_EQ(answer.at("ontvanger").as_string(), "gemeente-0363");

  ASSERT_TRUE(waitUntil([&] { return received().size() == 1; }, std::chrono::seconds(10)));
  const std::string delivered = readFile(received().front());
  EXPECT_EQ(received().front().stem(), txn);
  const auto doc = boost::json::parse(delivered);
  EXPECT_EQ(doc.at("gegevens").at("persoon").at("bsn").as_string(), "725763863");
  EXPECT_EQ(doc.at("gegevens").at("gezin").at("leden").as_array().size(), 4u);
  EXPECT_EQ(doc.at("gegevens").at("voorinburgering").at("nt2_uren").as_int64(), 96);
  for (const char* forbidden :
       {"medisch", "Diabetes", "Metformine", "asielrelaas", "opmerkingen", "schuld_coa", "religie", "Paspoort"}) {
    EXPECT_THAT(delivered, Not(HasSubstr(forbidden)));
  }

  const auto records = logged("coa.klantprofiel");
  ASSERT_EQ(records.size(), 1u);
  const ExchangeRecord& r = records[0].record;
  EXPECT_EQ(r.transaction_id, txn);
  EXPECT_EQ(r.outcome, ExchangeOutcome::kQueued);
  EXPECT_EQ(r.payload_sha256, sha256Hex(delivered));
  EXPECT_EQ(r.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(r.foreign_span_id, "00f067aa0ba902b7");
  bool medical_withheld = false;
  for (const auto& w : r.fields_withheld) {
    medical_withheld = medical_withheld || (w.field.starts_with("medisch.") && w.reason == "special-category");
  }
  EXPECT_TRUE(medical_withheld);
  // The profile taught the registry the koppeling, from the date it states (the mapping's
  // koppeling-date-field), not from the day it arrived.
  const SubjectKey person{SubjectKey::Kind::kBsn, "725763863"};
  EXPECT_EQ(server_->registries().gemeenteOf(person, todayUtc()), "0363");
  EXPECT_EQ(server_->registries().gemeenteOf(person, *parseIsoDate("2025-09-24")), "0363");
  EXPECT_EQ(server_->registries().gemeenteOf(person, *parseIsoDate("2025-09-23")), std::nullopt);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().delivery_attempts.value({"delivered"}) == 1; }));
  // Once delivered, the gateway keeps no body.
  EXPECT_TRUE(waitUntil([&] { return payloadsKept() == 0; }));
}

TEST_F(PushFlowTest, ResentTransactionIsAnsweredWithTheFirstResultAndNotDeliveredTwice) {
  startAmsterdam();
  start();
  const std::string txn = newUuidV7();
  const auto first = push(profile_, {{"X-Transaction-Id", txn}});
  ASSERT_EQ(first.status, 202u);
  const auto again = push(profile_, {{"X-Transaction-Id", txn}});
  EXPECT_EQ(again.status, 202u);
  EXPECT_EQ(again.body, first.body);
  ASSERT_TRUE(waitUntil([&] { return received().size() == 1; }, std::chrono::seconds(10)));
  ASSERT_TRUE(outboxSettled());
  EXPECT_EQ(received().size(), 1u);
  EXPECT_EQ(amsterdam_->duplicates(), 0u);
  EXPECT_EQ(logged("coa.klantprofiel").size(), 1u);

  // A refused transaction is refused again, from the log, without a second record.
  const std::string bad = newUuidV7();
  EXPECT_EQ(code(push("<klantprofiel", {{"X-Transaction-Id", bad}})), "invalid-message");
  EXPECT_EQ(code(push("<klantprofiel", {{"X-Transaction-Id", bad}})), "invalid-message");
  EXPECT_EQ(logged("coa.klantprofiel").size(), 2u);
  // Another request under a used id is a conflict, refused with its own record.
  EXPECT_EQ(code(push(profile_, {{"X-Transaction-Id", bad}})), "transaction-conflict");
  EXPECT_EQ(logged("coa.klantprofiel").size(), 3u);
  EXPECT_EQ(code(push(profile_, {{"X-Transaction-Id", "not-a-uuid"}})), "invalid-transaction-id");
}

TEST_F(PushFlowTest, AmsterdamsPersonNeverReachesDenHaag) {
  start();  // Amsterdam uses its postbus here too
  ASSERT_EQ(push(profile_).status, 202u);
  // The sender names Den Haag as recipient.
  const auto named = push(profile_, {{"X-Ontvanger", "gemeente-0518"}});
  EXPECT_EQ(named.status, 403u);
  EXPECT_EQ(code(named), "no-koppeling");
  // The sender sends an update that claims Den Haag.
  const auto moved = push(profileFor("725763863", "0518"));
  EXPECT_EQ(moved.status, 403u);
  EXPECT_EQ(code(moved), "no-koppeling");
  // Den Haag's postbus stays empty; Amsterdam's holds the one profile.
  auto den_haag = as("gemeente-0518");
  auto box = std::get<HttpsResponse>(den_haag.request("GET", "/v1/postbus"));
  EXPECT_EQ(box.status, 200u);
  EXPECT_EQ(boost::json::parse(box.body).at("berichten").as_array().size(), 0u);
  auto amsterdam = as("gemeente-0363");
  box = std::get<HttpsResponse>(amsterdam.request("GET", "/v1/postbus"));
  EXPECT_EQ(boost::json::parse(box.body).at("berichten").as_array().size(), 1u);
  const auto records = logged("coa.klantprofiel");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].record.reason, "no-koppeling");
  EXPECT_EQ(records[2].record.reason, "no-koppeling");
}

TEST_F(PushFlowTest, PostbusShowsOnlyOwnMessagesUntilAcknowledged) {
  start();
  const auto accepted = push(profileFor("162275869", "0518"));
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  const std::string txn(boost::json::parse(accepted.body).at("transactie_id").as_string());
  auto amsterdam = as("gemeente-0363");
  auto den_haag = as("gemeente-0518");
  auto box = std::get<HttpsResponse>(den_haag.request("GET", "/v1/postbus"));
  const auto messages = boost::json::parse(box.body).at("berichten").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("transactie_id").as_string(), txn);
  EXPECT_EQ(messages[0].at("bericht").at("gegevens").at("persoon").at("bsn").as_string(), "162275869");
  EXPECT_THAT(box.body, Not(HasSubstr("medisch")));
  // Another gemeente neither sees nor acknowledges it.
  EXPECT_EQ(boost::json::parse(std::get<HttpsResponse>(amsterdam.request("GET", "/v1/postbus")).body)
                .at("berichten")
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(std::get<HttpsResponse>(amsterdam.request("POST", "/v1/postbus/" + txn + "/ack")).status, 404u);
  EXPECT_EQ(std::get<HttpsResponse>(den_haag.request("POST", "/v1/postbus/" + txn + "/ack")).status, 204u);
  EXPECT_EQ(std::get<HttpsResponse>(den_haag.request("POST", "/v1/postbus/" + txn + "/ack")).status, 404u);
  box = std::get<HttpsResponse>(den_haag.request("GET", "/v1/postbus"));
  EXPECT_EQ(boost::json::parse(box.body).at("berichten").as_array().size(), 0u);
}

TEST_F(PushFlowTest, InvalidDocumentsAreRefusedNamingTheProblemAndLogged) {
  start();
  const auto malformed = push("<klantprofiel versie=\"1\"><persoon>");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(code(malformed), "invalid-message");
  const auto wrong_root = push("<nareisprofiel/>");
  EXPECT_THAT(wrong_root.body, HasSubstr("<klantprofiel> coa.klantprofiel expects"));
  EXPECT_THAT(wrong_root.body, Not(HasSubstr("nareisprofiel")));  // the sender's name, not echoed
  std::string no_version = profile_;
  no_version.replace(no_version.find(" versie=\"2\""), 11, "");
  EXPECT_THAT(push(no_version).body, HasSubstr("versie"));
  std::string bad_bsn = profileFor("123456789", "0363");
  const auto typed = push(bad_bsn);
  EXPECT_EQ(code(typed), "invalid-message");
  EXPECT_THAT(typed.body, Not(HasSubstr("123456789")));  // never the value
  const auto doctype = push("<!DOCTYPE x [<!ENTITY a \"b\">]><klantprofiel versie=\"1\">&a;</klantprofiel>");
  EXPECT_EQ(code(doctype), "invalid-message");
  EXPECT_EQ(code(push(profile_, {}, "coa.klantprofiel", "gemeente-0363")), "flow-not-allowed");
  EXPECT_EQ(code(push(profile_, {}, "no.such-flow")), "flow-not-allowed");
  EXPECT_EQ(logged("coa.klantprofiel").size(), 5u);
}

TEST_F(PushFlowTest, PushIsRefusedWith503WhenTheLogCannotWrite) {
  start();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto refused = push(profile_);
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(code(refused), "log-unavailable");
  auto den_haag = as("gemeente-0363");
  const auto box = std::get<HttpsResponse>(den_haag.request("GET", "/v1/postbus"));
  EXPECT_EQ(boost::json::parse(box.body).at("berichten").as_array().size(), 0u);
  EXPECT_EQ(push(profile_).status, 202u);  // and it recovers
}

TEST_F(PushFlowTest, FailingReceiverIsRetriedThenDeadLettered) {
  config_.outbox.max_attempts = 3;
  startAmsterdam(/*fail_rate=*/1.0);
  start();
  ASSERT_EQ(push(profile_).status, 202u);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().delivery_attempts.value({"dead-letter"}) == 1; },
                        std::chrono::seconds(10)));
  EXPECT_EQ(server_->metrics().delivery_attempts.value({"failed"}), 2u);
  EXPECT_EQ(amsterdam_->failedOnPurpose(), 3u);
  EXPECT_TRUE(received().empty());
  // Visible to operators: the outbox gauge follows within its refresh interval.
  EXPECT_TRUE(waitUntil([&] { return server_->metrics().outbox_entries.value({"dead-letter"}) == 1; }));
  EXPECT_THAT(plainHttpGet(server_->opsPort(), "/metrics").body,
              HasSubstr("ketenpoort_outbox_entries{state=\"dead-letter\"} 1"));
  // The body is not kept beyond its purpose: it went with the dead-letter state.
  EXPECT_EQ(payloadsKept(), 0);
}

// Issue 27: `ketenpoort db backup` while COA pushes without pause. The copy is whole (every
// record accepted before the backup began is in it, the chain and signed head check) and
// private (0600); no push failed meanwhile; a second backup to the same name is refused.
TEST_F(PushFlowTest, ABackupTakenWhilePushesGoOnIsAnIntactLog) {
  startAmsterdam();
  start();
  std::atomic<bool> backup_done{false};
  std::atomic<int> accepted{0};
  std::atomic<int> failed{0};
  std::thread pusher([&] {
    std::mt19937_64 rng(27);
    for (int n = 0, after_backup = 0; after_backup < 10 && n < 10'000; ++n) {
      const bool done_before = backup_done;
      // One synthetic person per push: a BSN and a V-nummer of its own.
      std::string profile = profileFor(randomSyntheticBsn(rng), "0363");
      profile.replace(profile.find("2093847561"), 10, std::to_string(3000000000 + n));
      (push(profile).status == 202u ? accepted : failed)++;
      if (done_before) ++after_backup;
    }
  });
  if (!waitUntil([&] { return accepted >= 10; }, std::chrono::seconds(20))) {
    backup_done = true;
    pusher.join();
    FAIL() << "pushes were not accepted: " << failed << " failed";
  }
  const int accepted_before = accepted;
  const auto copy = dir_.path() / "backup" / "ketenpoort-copy.db";
  std::filesystem::create_directories(copy.parent_path());
  const CommandResult backup = runCommand(
      {KETENPOORT_BINARY, "db", "backup", "--config", env_->config_file.string(), "--to", copy.string()}, dir_.path());
  backup_done = true;
  pusher.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_THAT(backup.out, HasSubstr("backed up "));
  EXPECT_EQ(failed, 0);
  struct stat copy_status {};
  ASSERT_EQ(::stat(copy.c_str(), &copy_status), 0);
  EXPECT_EQ(copy_status.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(copy.string() + ".partial"));

  const CommandResult verified = runCommand({KETENPOORT_BINARY, "log", "verify", "--db", copy.string(), "--public-key",
                                             (config_.keyDirectory() / "log-signing.key.pub").string()},
                                            dir_.path());
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("intact, "));
  const auto records = std::stoi(verified.out.substr(verified.out.find("intact, ") + 8));
  EXPECT_GE(records, accepted_before);

  const CommandResult again = runCommand(
      {KETENPOORT_BINARY, "db", "backup", "--config", env_->config_file.string(), "--to", copy.string()}, dir_.path());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("never overwrites"));
}

// Issue 27: a recipient that stops taking deliveries shows as the age of its oldest due
// entry, per recipient, what the OldestDueDelivery alert reads.
TEST_F(PushFlowTest, ARecipientThatTakesNothingShowsAsTheAgeOfItsOldestDueEntry) {
  config_.outbox.max_attempts = 1000;
  startAmsterdam(/*fail_rate=*/1.0);
  start();
  ASSERT_EQ(push(profile_).status, 202u);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().outbox_oldest_due_age.values().contains({"gemeente-0363"}); },
                        std::chrono::seconds(10)));
  EXPECT_THAT(plainHttpGet(server_->opsPort(), "/metrics").body,
              HasSubstr("ketenpoort_outbox_oldest_due_age_seconds{recipient=\"gemeente-0363\"} "));
  EXPECT_EQ(server_->metrics().outbox_oldest_due_age.values().size(), 1u);
}

// Issue 25, item 7: 's-Gravenhage sends under the transaction id of COA's exchange to
// Amsterdam and is refused for it; its officer's page of that refusal shows nothing of the
// other exchange's delivery (state, attempts, completion), while Amsterdam's officer sees it.
TEST_F(PushFlowTest, AReusedTransactionIdShowsAnotherOfficerNothingOfTheFirstDelivery) {
  startAmsterdam();
  start();
  const std::string txn = newUuidV7();
  ASSERT_EQ(push(profile_, {{"X-Transaction-Id", txn}}).status, 202u);
  ASSERT_TRUE(waitUntil([&] { return received().size() == 1; }, std::chrono::seconds(10)));
  const auto reused =
      push(profileFor("162275869", "0518"), {{"X-Transaction-Id", txn}}, "coa.klantprofiel", "gemeente-0518");
  EXPECT_GE(reused.status, 400u);

  ExchangeQuery own;
  own.organisation_oin = config_.findPartyById("gemeente-0518")->oin.str();
  const auto refusals = server_->exchangeLog().findExchanges(own);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].record.transaction_id, txn);
  EXPECT_EQ(refusals[0].record.outcome, ExchangeOutcome::kRefused);
  const auto page = [&](const std::string& officer, std::uint64_t sequence) {
    TestTlsClient client(server_->auditPort(), asParty(officer));
    auto response = client.request("GET", "/console/uitwisselingen/" + std::to_string(sequence));
    EXPECT_TRUE(response) << client.lastError();
    return response.value_or(TestResponse{});
  };
  const auto theirs = page("fg-0518", refusals[0].sequence);
  ASSERT_EQ(theirs.status, 200u) << theirs.body;
  EXPECT_THAT(theirs.body, Not(HasSubstr("Pogingen")));
  EXPECT_THAT(theirs.body, Not(HasSubstr("Afgerond")));
  EXPECT_THAT(theirs.body, HasSubstr("Er is niets afgeleverd"));

  ExchangeQuery amsterdam;
  amsterdam.organisation_oin = config_.findPartyById("gemeente-0363")->oin.str();
  const auto first = server_->exchangeLog().findExchanges(amsterdam);
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(waitUntil([&] { return page("fg-0363", first[0].sequence).body.find("Afgerond") != std::string::npos; }));
  EXPECT_THAT(page("fg-0363", first[0].sequence).body, HasSubstr("Pogingen"));
}

}  // namespace
}  // namespace ketenpoort::testing
