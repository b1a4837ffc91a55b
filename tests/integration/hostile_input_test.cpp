// The gateway's guarantees against a second party and a careless or hostile client
// (issue 12): transaction ids that belong to their first exchange, every identifier of a
// person leading to that person, nothing from a body or URL in the log or in problems,
// text that is text, and a basis that must still hold when a message leaves.
#include "tests/integration/chain_fixture.hpp"

#include "gateway/store/identifiers.hpp"
#include "gateway/store/record_codec.hpp"
#include "tests/support/test_tls_client.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HostileInputTest : public ChainFixture {
 protected:
  // COA's sample profile for a synthetic person; an empty `bsn` leaves the BSN out.
  static std::string profile(const std::string& bsn, const std::string& vnummer, const std::string& cbs) {
    std::string p = slurp(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/klantprofiel.xml");
    p.replace(p.find("<bsn>725763863</bsn>"), 20, bsn.empty() ? std::string() : "<bsn>" + bsn + "</bsn>");
    p.replace(p.find("<vnummer>2093847561</vnummer>"), 29, "<vnummer>" + vnummer + "</vnummer>");
    p.replace(p.find("<gemeentecode>0363"), 18, "<gemeentecode>" + cbs);
    return p;
  }

  HttpsResponse pushProfile(const std::string& document, std::vector<std::pair<std::string, std::string>> headers = {},
                            const std::string& party = "coa") {
    headers.emplace_back("Content-Type", "application/xml");
    return call(party, "POST", "/v1/berichten/coa.klantprofiel", "regie-inburgering", document, std::move(headers));
  }

  // Why a message was withdrawn, as `party` (its sender) hears it once it is; "" (and a
  // failure) when it was not withdrawn within ten seconds.
  std::string withdrawnReason(const std::string& party, const std::string& id) {
    HttpsResponse status;
    if (!waitUntil(
            [&] {
              status = call(party, "GET", "/v1/transacties/" + id, "");
              return status.body.find("withdrawn") != std::string::npos;
            },
            std::chrono::seconds(10))) {
      ADD_FAILURE() << status.body;
      return "";
    }
    return std::string(boost::json::parse(status.body).at("reden").as_string());
  }

  std::vector<LoggedExchange> recordsOf(const std::string& party) {
    ExchangeQuery q;
    q.organisation_oin = config_.findPartyById(party)->oin.str();
    return server_->exchangeLog().findExchanges(q);
  }

  boost::json::array postbusOf(const std::string& party) {
    const HttpsResponse box = call(party, "GET", "/v1/postbus", "");
    return boost::json::parse(box.body).at("berichten").as_array();
  }
};

const std::string kPersonA = syntheticBsn(10);
const std::string kPersonB = syntheticBsn(11);

// Defect 1: another party re-using a transaction id COA used gets a conflict; COA's queued
// message, its body and its record stay as they were.
TEST_F(HostileInputTest, AnotherPartyReusingATransactionIdCannotTouchTheFirstExchange) {
  const std::string id = newUuidV7();
  // Den Haag has no endpoint: COA's profile waits in its postbus.
  ASSERT_EQ(pushProfile(profile(kPersonA, "1000000001", "0518"), {{"X-Transaction-Id", id}}).status, 202u);
  const HttpsResponse reuse = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                                   toeslagenStatus(kCandidate, "2025-03-01", 43), {{"X-Transaction-Id", id}});
  EXPECT_EQ(reuse.status, 409u) << reuse.body;
  EXPECT_EQ(code(reuse), "transaction-conflict");
  // COA's own retry is still answered as the first time, and the message is intact.
  EXPECT_EQ(pushProfile(profile(kPersonA, "1000000001", "0518"), {{"X-Transaction-Id", id}}).status, 202u);
  const auto box = postbusOf("gemeente-0518");
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0].at("transactie_id").as_string(), id);
  EXPECT_EQ(box[0].at("afzender_oin").as_string(), config_.findPartyById("coa")->oin.str());
  EXPECT_TRUE(box[0].at("bericht").is_object());
  EXPECT_EQ(server_->exchangeLog().findTransaction(id)->record.outcome, ExchangeOutcome::kQueued);
  // The conflict has a refused record of its own, under its sender.
  const auto toeslagen = recordsOf("toeslagen");
  ASSERT_FALSE(toeslagen.empty());
  EXPECT_EQ(toeslagen.back().record.reason, "transaction-conflict");
  EXPECT_TRUE(received("gemeente-0363").empty());  // the second party's message went nowhere
}

// Defect 2: an id in upper case is the id in lower case (RFC 9562).
TEST_F(HostileInputTest, AnIdSpelledInUpperCaseIsTheSameTransaction) {
  const std::string id = newUuidV7();
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string document = profile(kPersonA, "1000000001", "0363");
  const HttpsResponse first = pushProfile(document, {{"X-Transaction-Id", upper}});
  ASSERT_EQ(first.status, 202u) << first.body;
  EXPECT_EQ(boost::json::parse(first.body).at("transactie_id").as_string(), id);
  ASSERT_EQ(pushProfile(document, {{"X-Transaction-Id", id}}).status, 202u);
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  ASSERT_TRUE(outboxSettled());
  EXPECT_EQ(received("gemeente-0363").size(), 1u);
  // The same id with another body is not a replay.
  EXPECT_EQ(code(pushProfile(profile(kPersonA, "1000000001", "0518"), {{"X-Transaction-Id", upper}})),
            "transaction-conflict");
}

// Defect 3: a person known by BSN and V-nummer cannot be moved by naming only the V-nummer,
// and a V-nummer linked to one BSN cannot arrive with another.
TEST_F(HostileInputTest, EveryIdentifierOfAPersonLeadsToTheSamePerson) {
  ASSERT_EQ(pushProfile(profile(kPersonA, "1000000001", "0363")).status, 202u);
  const HttpsResponse moved = pushProfile(profile("", "1000000001", "0518"));
  EXPECT_EQ(moved.status, 403u) << moved.body;
  EXPECT_EQ(code(moved), "no-koppeling");
  const HttpsResponse borrowed = pushProfile(profile(kPersonB, "1000000001", "0518"));
  EXPECT_EQ(borrowed.status, 403u) << borrowed.body;
  EXPECT_EQ(code(borrowed), "identity-conflict");
  EXPECT_EQ(postbusOf("gemeente-0518").size(), 0u);
  // The V-nummer alone still reaches the gemeente the person is gekoppeld to.
  EXPECT_EQ(pushProfile(profile("", "1000000001", "0363")).status, 202u);
}

// Defect 4: names taken from a body, a URL or a header are never stored nor echoed.
TEST_F(HostileInputTest, NamesFromBodiesUrlsAndHeadersNeverReachTheLogOrTheProblem) {
  const std::string marker = "zzmarker";
  std::string document = profile(kPersonA, "1000000001", "0363");
  document.replace(document.find("</klantprofiel>"), 15,
                   "<" + marker + "a>x</" + marker + "a><b" + kPersonB + ">y</b" + kPersonB + "></klantprofiel>");
  ASSERT_EQ(pushProfile(document).status, 202u);
  // A school's JSON key that is a BSN.
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  pupil.lessons_planned = 10;
  pupil.lessons_attended = 10;
  std::string json = aanwezigheidJson(pupil, *parseIsoDate("2026-09-01"), *parseIsoDate("2026-10-31"));
  json.insert(json.find('{') + 1, "\"" + kPersonB + "\":\"x\",");
  ASSERT_EQ(call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip", json).status, 202u);
  // An unknown flow in the URL and an invented purpose.
  const HttpsResponse flow = call("coa", "POST", "/v1/berichten/" + marker + "-flow", "regie-inburgering", "<x/>");
  EXPECT_EQ(code(flow), "flow-not-allowed");
  EXPECT_THAT(flow.body, Not(HasSubstr(marker)));
  const HttpsResponse purpose =
      pushProfile(profile(kPersonA, "1000000001", "0363"), {{"X-Doelbinding", marker + "-doel"}});
  EXPECT_THAT(purpose.body, Not(HasSubstr(marker)));
  const HttpsResponse query = call("gemeente-0363", "POST", "/v1/bevragingen/" + marker, marker + "-doel",
                                   R"({"bsn":")" + std::string(kCandidate) + R"("})");
  EXPECT_THAT(query.body, Not(HasSubstr(marker)));

  bool withheld_counted = false;
  for (const char* party : {"coa", "taalschool-a", "gemeente-0363"}) {
    for (const LoggedExchange& e : recordsOf(party)) {
      const auto columns = columnTexts(e.record);
      for (const std::string& column : columns) {
        EXPECT_THAT(column, Not(HasSubstr(marker)));
        EXPECT_THAT(column, Not(HasSubstr(kPersonB)));
      }
      for (const WithheldField& w : e.record.fields_withheld) {
        if (w.reason == "not-mapped") withheld_counted = withheld_counted || w.field.starts_with("not-mapped: ");
      }
    }
  }
  EXPECT_TRUE(withheld_counted);
}

// Defect 5: bytes that are not UTF-8 text are refused, naming the field but not its value.
// A BSN is personal data: in a URL it lands in access logs, proxies and browser history.
// The old GET form is refused before anything is asked or logged; the POST form works.
TEST_F(HostileInputTest, ABsnInAUrlIsRefusedBeforeAnythingIsDone) {
  const auto before = server_->exchangeLog().lastSequence();
  const HttpsResponse in_url =
      call("gemeente-0363", "GET", "/v1/bevragingen/duo.inburgeringsstatus?bsn=" + std::string(kCandidate),
           "regie-inburgering");
  EXPECT_EQ(in_url.status, 400u);
  EXPECT_EQ(code(in_url), "bsn-in-url");
  EXPECT_THAT(in_url.body, Not(HasSubstr(kCandidate)));
  EXPECT_EQ(server_->exchangeLog().lastSequence(), before);
  // Nor does the POST form take the number from the URL.
  EXPECT_EQ(call("gemeente-0363", "POST", "/v1/bevragingen/duo.inburgeringsstatus?bsn=" + std::string(kCandidate),
                 "regie-inburgering", R"({"bsn":")" + std::string(kCandidate) + R"("})")
                .status,
            400u);
  EXPECT_EQ(askDuo("gemeente-0363", kCandidate).status, 200u);
}

TEST_F(HostileInputTest, TextThatIsNotUtf8IsRefusedAndNeverForwarded) {
  for (const std::string& bad : {std::string("Am\xff\xfe"), std::string("Am\x01na"), std::string("Am\xc3")}) {
    std::string document = profile(kPersonA, "1000000001", "0363");
    document.replace(document.find("Amani Noor"), 10, bad);
    const HttpsResponse r = pushProfile(document);
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(code(r), "invalid-message");
    EXPECT_THAT(r.body, HasSubstr("persoon.voornamen"));
    EXPECT_THAT(r.body, Not(HasSubstr("Am")));
  }
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  pupil.lessons_planned = 10;
  pupil.lessons_attended = 9;
  pupil.remarks = "ok";
  std::string json = aanwezigheidJson(pupil, *parseIsoDate("2026-09-01"), *parseIsoDate("2026-10-31"));
  json.replace(json.find("\"ok\""), 4, "\"o\\u0007k\"");
  EXPECT_EQ(code(call("taalschool-a", "POST", "/v1/berichten/taalschool.aanwezigheid", "elip", json)),
            "invalid-message");
  ASSERT_TRUE(outboxSettled());
  EXPECT_TRUE(received("gemeente-0363").empty());
}

// Defect 10: a header that may appear once, sent twice, is a bad request.
TEST_F(HostileInputTest, AHeaderThatMayAppearOnceSentTwiceIsRefused) {
  const HttpsResponse r =
      pushProfile(profile(kPersonA, "1000000001", "0363"), {{"X-Doelbinding", "regie-inburgering"}});
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(code(r), "duplicate-header");
  EXPECT_THAT(r.body, HasSubstr("x-doelbinding"));
  ASSERT_TRUE(outboxSettled());
  EXPECT_TRUE(received("gemeente-0363").empty());
}

// Defect 10: a Transfer-Encoding other than chunked, or beside a Content-Length, is a
// request smuggling attempt: refused and the connection closed.
TEST_F(HostileInputTest, AnUnknownTransferEncodingIsRefusedAndTheConnectionClosed) {
  for (const char* te : {"xchunked", "chunked, identity", "gzip", "chunked"}) {
    TestTlsClient client(server_->exchangePort(), asParty("coa"));
    ASSERT_EQ(client.connectAndHandshake(), "");
    // Were the five bytes taken as a body, whoami would answer 200 and keep the connection.
    client.writeRaw("GET /v1/whoami HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + std::string(te) +
                    "\r\nContent-Length: 5\r\n\r\n0\r\n\r\n");
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << te << ": " << client.lastError();
    EXPECT_EQ(response->status, 400u) << te;
    // Nothing after it is read as a request: the connection is closed.
    client.writeRaw("GET /v1/whoami HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(client.readResponse(std::chrono::milliseconds(300)).has_value()) << te;
  }
}

// Defect 9: a message accepted under a consent is not delivered once the consent is
// withdrawn, even though it was waiting for an endpoint that was down.
TEST_F(HostileInputTest, AMessageWhoseConsentIsWithdrawnBeforeItLeavesIsNeverDelivered) {
  const Party& amsterdam = *config_.findPartyById("gemeente-0363");
  const auto consent = server_->registries().grantConsent({{SubjectKey::Kind::kBsn, kOldLaw},
                                                           "ontzorgen",
                                                           amsterdam.oin,
                                                           "test://toestemming",
                                                           addPeriod(todayUtc(), {0, 0, -1}),
                                                           std::nullopt});
  ASSERT_TRUE(consent.ok);
  amsterdam_->stop();  // the gemeente's endpoint is down
  const std::string id = newUuidV7();
  const HttpsResponse accepted = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                                      toeslagenStatus(kOldLaw, "2020-05-01", 10), {{"X-Transaction-Id", id}});
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  ASSERT_TRUE(server_->registries().withdrawConsent(consent.id, todayUtc()).ok);

  // The sender sees what became of it; another party does not see it at all.
  EXPECT_EQ(withdrawnReason("toeslagen", id), "basis-withdrawn:consent");
  EXPECT_EQ(boost::json::parse(call("toeslagen", "GET", "/v1/transacties/" + id, "").body).at("status").as_string(),
            "withdrawn");
  EXPECT_EQ(call("coa", "GET", "/v1/transacties/" + id, "").status, 404u);
  const auto records = recordsOf("toeslagen");
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().record.transaction_id, id);
  EXPECT_EQ(records.back().record.reason, "basis-withdrawn:consent");
  EXPECT_EQ(records.back().record.consent_id, consent.id);
  EXPECT_TRUE(received("gemeente-0363").empty());
}

// Issue 25, item 4: the consent is withdrawn while the message is on its way (checked
// before the attempt, it held): the delivery stands, and the log says the basis ended
// during it.
TEST_F(HostileInputTest, ADeliveryUnderWayWhenItsConsentIsWithdrawnIsRecordedSo) {
  const Party& amsterdam = *config_.findPartyById("gemeente-0363");
  const auto consent = server_->registries().grantConsent({{SubjectKey::Kind::kBsn, kOldLaw},
                                                           "ontzorgen",
                                                           amsterdam.oin,
                                                           "test://toestemming",
                                                           addPeriod(todayUtc(), {0, 0, -1}),
                                                           std::nullopt});
  ASSERT_TRUE(consent.ok);
  std::atomic<bool> withdrawn{false};
  while_amsterdam_receives_ = [&] {
    if (!withdrawn.exchange(true)) {
      EXPECT_TRUE(server_->registries().withdrawConsent(consent.id, todayUtc()).ok);
    }
  };
  const std::string id = newUuidV7();
  ASSERT_EQ(call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                 toeslagenStatus(kOldLaw, "2020-05-01", 10), {{"X-Transaction-Id", id}})
                .status,
            202u);
  std::vector<LoggedExchange> records;
  ASSERT_TRUE(waitUntil(
      [&] {
        records = recordsOf("toeslagen");
        return !records.empty() && records.back().record.reason == "basis-ended-during-delivery:consent";
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(records.back().record.transaction_id, id);
  EXPECT_EQ(records.back().record.outcome, ExchangeOutcome::kDelivered);
  EXPECT_EQ(records.back().record.consent_id, consent.id);
  EXPECT_EQ(received("gemeente-0363").size(), 1u);
  const HttpsResponse status = call("toeslagen", "GET", "/v1/transacties/" + id, "");
  EXPECT_EQ(boost::json::parse(status.body).at("status").as_string(), "delivered");
  while_amsterdam_receives_ = nullptr;
}

// Issue 25, item 3: the gemeente registers the consent it obtained and withdraws it through
// the API; only a gemeente, only for a person gekoppeld to it, only for a purpose a mapping
// asks consent for towards a gemeente; each change logged; a withdrawal ends what is queued.
TEST_F(HostileInputTest, AGemeenteRegistersAndWithdrawsTheConsentItObtained) {
  const auto consentCall = [&](const std::string& party, const std::string& target, const std::string& body) {
    return call(party, "POST", target, "", body, {{"Content-Type", "application/json"}});
  };
  const std::string body =
      R"({"bsn":")" + std::string(kOldLaw) + R"(","doelbinding":"ontzorgen","bewijs":"zaak-2026-17/intake"})";
  // Without consent an old-law person's status is refused.
  EXPECT_EQ(code(call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                      toeslagenStatus(kOldLaw, "2020-05-01", 10))),
            "no-consent");
  const std::vector<std::tuple<std::string, std::string, unsigned, std::string>> refused{
      {"toeslagen", body, 403u, "role-not-allowed"},
      {"coa", body, 403u, "role-not-allowed"},
      {"gemeente-0518", body, 403u, "no-koppeling"},
      {"gemeente-0363", R"({"bsn":")" + std::string(kOldLaw) + R"(","doelbinding":"regie-inburgering","bewijs":"x"})",
       403u, "purpose-mismatch"},
      {"gemeente-0363",
       R"({"bsn":")" + std::string(kOldLaw) + R"(","doelbinding":"ontzorgen","bewijs":"bsn )" + std::string(kOldLaw) +
           R"("})",
       400u, "invalid-query"},
      {"gemeente-0363",
       R"({"bsn":")" + std::string(kOldLaw) + R"(","bsn":")" + std::string(kCandidate) +
           R"(","doelbinding":"ontzorgen","bewijs":"x"})",
       400u, "invalid-query"},
      {"gemeente-0363",
       R"({"bsn":")" + std::string(kOldLaw) + R"(","vnummer":"1000000001","doelbinding":"ontzorgen","bewijs":"x"})",
       400u, "invalid-query"},
      {"gemeente-0363", R"({"bsn":"123456789","doelbinding":"ontzorgen","bewijs":"x"})", 400u, "invalid-query"},
      {"gemeente-0363", R"({"bsn":")" + std::string(kOldLaw) + R"(","doelbinding":"ontzorgen","bewijs":"a\u0000b"})",
       400u, "invalid-query"},
      {"gemeente-0363",
       R"({"bsn":")" + std::string(kOldLaw) + R"(","doelbinding":"ontzorgen","bewijs":"x","extra":"y"})", 400u,
       "invalid-query"},
  };
  const auto before = server_->exchangeLog().lastSequence();
  for (const auto& [party, sent, status, expected] : refused) {
    const HttpsResponse answer = consentCall(party, "/v1/toestemmingen", sent);
    EXPECT_EQ(answer.status, status) << party << " " << sent << " " << answer.body;
    EXPECT_EQ(code(answer), expected) << sent;
    EXPECT_THAT(answer.body, Not(HasSubstr(kOldLaw)));
  }
  EXPECT_EQ(server_->exchangeLog().lastSequence(), before);  // nothing registered

  const HttpsResponse granted = consentCall("gemeente-0363", "/v1/toestemmingen", body);
  ASSERT_EQ(granted.status, 201u) << granted.body;
  const std::string id(boost::json::parse(granted.body).at("toestemming_id").as_string());
  EXPECT_EQ(server_->exchangeLog().lastSequence(), before + 1);
  const auto consent = server_->registries().consent(id);
  ASSERT_TRUE(consent);
  EXPECT_EQ(consent->recipient_oin, config_.findPartyById("gemeente-0363")->oin.str());
  EXPECT_EQ(consent->evidence_ref, "zaak-2026-17/intake");
  const auto logged = recordsOf("gemeente-0363");
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back().record.consent_id, id);
  EXPECT_EQ(logged.back().record.reason, "consent-granted");

  // It holds: the message waits for Amsterdam's endpoint; the withdrawal ends it there.
  amsterdam_->stop();
  const std::string message = newUuidV7();
  ASSERT_EQ(call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                 toeslagenStatus(kOldLaw, "2020-05-01", 10), {{"X-Transaction-Id", message}})
                .status,
            202u);
  EXPECT_EQ(consentCall("gemeente-0518", "/v1/toestemmingen/" + id + "/intrekking", "").status, 404u);
  EXPECT_EQ(consentCall("gemeente-0363", "/v1/toestemmingen/consent-nope/intrekking", "").status, 404u);
  const HttpsResponse withdrawn = consentCall("gemeente-0363", "/v1/toestemmingen/" + id + "/intrekking", "");
  ASSERT_EQ(withdrawn.status, 200u) << withdrawn.body;
  EXPECT_EQ(boost::json::parse(withdrawn.body).at("ingetrokken").as_string(), formatIsoDate(clock_.today()));
  EXPECT_EQ(consentCall("gemeente-0363", "/v1/toestemmingen/" + id + "/intrekking", "").status, 200u);
  EXPECT_EQ(recordsOf("gemeente-0363").back().record.reason, "consent-withdrawn");
  EXPECT_EQ(withdrawnReason("toeslagen", message), "basis-withdrawn:consent");
}

// Issue 25, item 2: COA moves a person's koppeling (coa.herkoppeling). The new gemeente
// gets the message without COA's free-text reason; what waited for the old gemeente is
// withdrawn and it gets nothing more; a date before the koppeling in force is refused
// (koppeling-conflict) and changes nothing.
TEST_F(HostileInputTest, CoaMovesAKoppelingForwardAndTheOldGemeenteGetsNothingMore) {
  const std::string waiting = newUuidV7();
  ASSERT_EQ(pushProfile(profile(kPersonA, "1000000001", "0518"), {{"X-Transaction-Id", waiting}}).status, 202u);
  ASSERT_EQ(postbusOf("gemeente-0518").size(), 1u);  // gekoppeld to Den Haag since 2025-09-24
  const auto herkoppeling = [&](const std::string& cbs, const std::string& date, const std::string& id = newUuidV7(),
                                const std::string& party = "coa") {
    const std::string body = "<herkoppeling><bsn>" + kPersonA + "</bsn><vnummer>1000000001</vnummer><gemeentecode>" +
                             cbs + "</gemeentecode><koppeling_datum>" + date +
                             "</koppeling_datum><reden>Zzreden: medische zorg dichtbij familie</reden></herkoppeling>";
    return call(party, "POST", "/v1/berichten/coa.herkoppeling", "regie-inburgering", body,
                {{"Content-Type", "application/xml"}, {"X-Transaction-Id", id}});
  };
  // Dated before the koppeling in force: refused, logged, nothing changes.
  const HttpsResponse back = herkoppeling("0363", "2025-09-01");
  EXPECT_EQ(back.status, 409u) << back.body;
  EXPECT_EQ(code(back), "koppeling-conflict");
  EXPECT_EQ(recordsOf("coa").back().record.reason, "koppeling-conflict");
  // Issue 25, item 13: a refusal keeps the flow's retention; one decided before any flow
  // applied (a flow that does not exist) the longest, P7Y; none is kept for ever.
  EXPECT_EQ(recordsOf("coa").back().record.retention_until, formatIsoDate(addPeriod(clock_.today(), {5, 0, 0})));
  EXPECT_EQ(code(call("coa", "POST", "/v1/berichten/coa.bestaat-niet", "regie-inburgering", "<x/>",
                      {{"Content-Type", "application/xml"}})),
            "flow-not-allowed");
  EXPECT_EQ(recordsOf("coa").back().record.retention_until, formatIsoDate(addPeriod(todayUtc(), {7, 0, 0})));
  EXPECT_EQ(server_->registries().gemeenteOf({SubjectKey::Kind::kBsn, kPersonA}, clock_.today()), "0518");
  // Ahead of today, to another than the named gemeente, by another than COA: refused.
  EXPECT_EQ(code(herkoppeling("0363", formatIsoDate(addPeriod(clock_.today(), {0, 0, 1})))), "invalid-message");
  EXPECT_EQ(code(herkoppeling("0363", "2026-01-01", newUuidV7(), "gemeente-0363")), "flow-not-allowed");
  EXPECT_EQ(server_->registries().gemeenteOf({SubjectKey::Kind::kBsn, kPersonA}, clock_.today()), "0518");

  const std::string moved_id = newUuidV7();
  const std::string today = formatIsoDate(clock_.today());
  const HttpsResponse moved = herkoppeling("0363", today, moved_id);
  ASSERT_EQ(moved.status, 202u) << moved.body;
  EXPECT_EQ(server_->registries().gemeenteOf({SubjectKey::Kind::kVnummer, "1000000001"}, clock_.today()), "0363");
  // Amsterdam receives who is now theirs and from when; never COA's reason.
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  const std::string delivered = received("gemeente-0363").front();
  EXPECT_THAT(delivered, HasSubstr(kPersonA));
  EXPECT_THAT(delivered, HasSubstr(today));
  EXPECT_THAT(delivered, Not(HasSubstr("Zzreden")));
  const auto record = server_->exchangeLog().findTransaction(moved_id)->record;
  EXPECT_EQ(record.outcome, ExchangeOutcome::kQueued);
  ASSERT_EQ(record.fields_withheld.size(), 1u);
  EXPECT_EQ(record.fields_withheld[0].field, "procedure.herkoppeling_reden");
  // What waited in Den Haag's postbus is withdrawn; Den Haag gets nothing more.
  EXPECT_EQ(postbusOf("gemeente-0518").size(), 0u);
  EXPECT_EQ(withdrawnReason("coa", waiting), "basis-withdrawn:koppeling");
  EXPECT_EQ(code(pushProfile(profile(kPersonA, "1000000001", "0518"))), "no-koppeling");
  // Moving back to before today's move: a conflict again.
  EXPECT_EQ(code(herkoppeling("0518", "2026-01-01")), "koppeling-conflict");
  EXPECT_EQ(server_->registries().gemeenteOf({SubjectKey::Kind::kBsn, kPersonA}, clock_.today()), "0363");
}

// Issue 25, item 1: a school's agreement taken out of the configuration holds nowhere after
// the next start: its new ELIP registrations are refused and one queued before (Amsterdam's
// endpoint down) is withdrawn instead of delivered.
TEST_F(HostileInputTest, AnAgreementRemovedFromTheConfigurationHoldsNowhereAfterTheNextStart) {
  amsterdam_->stop();
  TaalschoolPupil pupil;
  pupil.bsn = kCandidate;
  const std::string id = newUuidV7();
  const HttpsResponse queued =
      call("taalschool-a", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip", elipAanmeldingJson(pupil),
           {{"X-Ontvanger", "gemeente-0363"}, {"X-Transaction-Id", id}});
  ASSERT_EQ(queued.status, 202u) << queued.body;
  const auto removed = std::find_if(config_.agreements.begin(), config_.agreements.end(),
                                    [](const AgreementConfig& a) { return a.party_id == "taalschool-a"; });
  ASSERT_NE(removed, config_.agreements.end());
  const std::string agreement_id = removed->id;
  config_.agreements.erase(removed);
  server_->drain();
  server_->wait();
  server_.reset();
  server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_), clock_);
  server_->start(false);

  EXPECT_EQ(withdrawnReason("taalschool-a", id), "basis-withdrawn:agreement");
  EXPECT_EQ(code(call("taalschool-a", "POST", "/v1/berichten/taalschool.elip-aanmelding", "elip",
                      elipAanmeldingJson(pupil), {{"X-Ontvanger", "gemeente-0363"}})),
            "no-agreement");
  ExchangeQuery changes;
  changes.whole_log = true;
  changes.flow = "ketenpoort.agreement";
  const auto logged = server_->exchangeLog().findExchanges(changes);
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back().record.reason, "agreement-ended");
  EXPECT_EQ(logged.back().record.agreement_id, agreement_id);
}

// The gateway's clock decides whether a basis still holds when a message leaves: a consent
// that ends while its message waits (the endpoint down) is not used at the next attempt,
// two days on. No test waits two days: the clock is moved.
TEST_F(HostileInputTest, AConsentThatEndsWhileItsMessageWaitsEndsTheMessageWhenTheClockSaysSo) {
  const Party& amsterdam = *config_.findPartyById("gemeente-0363");
  const CivilDate today = clock_.today();
  const auto consent = server_->registries().grantConsent({{SubjectKey::Kind::kBsn, kOldLaw},
                                                           "ontzorgen",
                                                           amsterdam.oin,
                                                           "test://toestemming",
                                                           addPeriod(today, {0, 0, -1}),
                                                           addPeriod(today, {0, 0, 1})});
  ASSERT_TRUE(consent.ok);
  amsterdam_->stop();
  const std::string id = newUuidV7();
  const HttpsResponse accepted = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
                                      toeslagenStatus(kOldLaw, "2020-05-01", 10), {{"X-Transaction-Id", id}});
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  // Retries fail against the closed endpoint; the consent still holds, so nothing ends.
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().delivery_attempts.value({"failed"}) >= 2; }));
  EXPECT_EQ(server_->metrics().delivery_attempts.value({"withdrawn"}), 0u);

  clock_.advance(std::chrono::hours(48));
  EXPECT_EQ(withdrawnReason("toeslagen", id), "basis-withdrawn:consent");
  EXPECT_TRUE(received("gemeente-0363").empty());
}

// Defect 9, at postbus pick-up: a person moved to another gemeente while the message
// waited in the first one's postbus; it is not shown and is recorded as withdrawn.
TEST_F(HostileInputTest, AMessageInAPostbusWhoseKoppelingMovedIsNotShown) {
  const std::string id = newUuidV7();
  ASSERT_EQ(pushProfile(profile(kPersonA, "1000000001", "0518"), {{"X-Transaction-Id", id}}).status, 202u);
  const Party& amsterdam = *config_.findPartyById("gemeente-0363");
  ASSERT_TRUE(
      server_->registries()
          .registerKoppeling({SubjectKey::Kind::kBsn, kPersonA}, amsterdam.oin, "0363", todayUtc(), "test://verhuizing")
          .ok);
  EXPECT_EQ(postbusOf("gemeente-0518").size(), 0u);
  EXPECT_EQ(withdrawnReason("coa", id), "basis-withdrawn:koppeling");
}

// Defect 7: after delivery (to an endpoint, or acknowledged from a postbus) no byte of a
// body can be read from any file of the data directory once the WAL is checkpointed.
TEST_F(HostileInputTest, DeliveredBodiesLeaveNoReadableTraceInTheDataDirectory) {
  const std::string marker = "Zzbodymarker";
  const auto withMarker = [&](const std::string& cbs) {
    std::string document = profile(kPersonA, "1000000001", cbs);
    document.replace(document.find("Amani Noor"), 10, marker);
    return document;
  };
  ASSERT_EQ(pushProfile(withMarker("0363")).status, 202u);
  ASSERT_TRUE(waitUntil([&] { return received("gemeente-0363").size() == 1; }));
  EXPECT_THAT(received("gemeente-0363").front(), HasSubstr(marker));
  ASSERT_EQ(pushProfile(profile(kPersonB, "1000000002", "0518")).status, 202u);  // another body stays
  const std::string other = syntheticBsn(12);
  std::string for_den_haag = profile(other, "1000000003", "0518");
  for_den_haag.replace(for_den_haag.find("Amani Noor"), 10, marker);
  const std::string acked_id = newUuidV7();
  ASSERT_EQ(pushProfile(for_den_haag, {{"X-Transaction-Id", acked_id}}).status, 202u);
  ASSERT_EQ(call("gemeente-0518", "POST", "/v1/postbus/" + acked_id + "/ack", "").status, 204u);

  const auto data_dir = config_.storage_path.parent_path();
  const auto filesHolding = [&](const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir)) {
      if (!entry.is_regular_file()) continue;
      if (slurp(entry.path()).find(needle) != std::string::npos) out.push_back(entry.path().filename());
    }
    return out;
  };
  std::vector<std::string> holding;
  EXPECT_TRUE(waitUntil([&] { return (holding = filesHolding(marker)).empty(); }, std::chrono::seconds(5)))
      << ::testing::PrintToString(holding);
  // The body still waiting in Den Haag's postbus is there: the search can find a body.
  EXPECT_FALSE(filesHolding("Amani Noor").empty());
}

}  // namespace
}  // namespace ketenpoort::testing
