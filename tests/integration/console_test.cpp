// The privacy officer's console over real mTLS (issue 16): what each officer may see,
// that every view is in the log before it is shown, the forms' CSRF guard, hostile input.
// The same console in a real browser: tests/browser/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gateway/identity/oin.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/integration/gateway_fixture.hpp"
#include "tests/support/console_page.hpp"
#include "tests/support/log_fill.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kBsn = "725763863";  // synthetic
constexpr const char* kAmsterdam = "00000099200000000363";
constexpr const char* kDenHaag = "00000099200000000518";

class ConsoleTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    startGateway();
  }

  // A record about kBsn from COA to `recipient`, its medical section withheld.
  std::uint64_t appendExchange(const char* recipient, ExchangeOutcome outcome, const char* reason) {
    const AppendResult appended = server_->exchangeLog().appendAndWait(exchange(recipient, outcome, reason));
    EXPECT_TRUE(appended.ok);
    return appended.sequence;
  }

  ExchangeRecord exchange(const char* recipient, ExchangeOutcome outcome, const char* reason) {
    const auto referencer = SubjectReferencer::loadOrCreate(config_.storage_path.parent_path() / "subject.key");
    ExchangeRecord r = testing::sampleRecord(0, referencer.reference({SubjectKey::Kind::kBsn, kBsn}));
    r.recipient_oin = recipient;
    r.outcome = outcome;
    r.reason = reason;
    r.fields_delivered = {"persoon.voornamen", "procedure.koppeling_datum"};
    r.retention_until = "2031-12-02";
    return r;
  }

  TestResponse get(const std::string& officer, const std::string& target, const std::string& extra_headers = {}) {
    TestTlsClient client(server_->auditPort(), asParty(officer));
    auto response = client.request("GET", target, {}, extra_headers);
    EXPECT_TRUE(response) << client.lastError();
    return response.value_or(TestResponse{});
  }

  // A form POST as a browser sends it; `extra` headers replace nothing, they are added.
  TestResponse post(const std::string& officer, const std::string& target, const std::string& body,
                    const std::string& extra_headers = "",
                    const std::string& content_type = "application/x-www-form-urlencoded") {
    TestTlsClient client(server_->auditPort(), asParty(officer));
    const std::string host = "127.0.0.1:" + std::to_string(server_->auditPort());
    const std::string request = "POST " + target + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: " + content_type +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
                                "Connection: close\r\n\r\n" + body;
    EXPECT_EQ(client.connectAndHandshake(), "");
    EXPECT_EQ(client.writeRaw(request), "");
    auto response = client.readResponse();
    EXPECT_TRUE(response) << client.lastError();
    return response.value_or(TestResponse{});
  }

  // The form token a console page hands this officer.
  std::string tokenFor(const std::string& officer, const std::string& page = "/console/inzage") {
    return consoleFormToken(get(officer, page).body);
  }

  // The Origin header a browser sends from the console's own pages.
  std::string sameOrigin() const {
    return "Origin: https://127.0.0.1:" + std::to_string(server_->auditPort()) + "\r\n";
  }

  // "Controleer het logboek nu", as the officer's browser posts it.
  TestResponse verifyNow(const std::string& officer) {
    return post(officer, "/console/controle", "formulier=" + tokenFor(officer, "/console/controle"), sameOrigin());
  }

  static std::string headerOf(const TestResponse& response, const std::string& name) {
    const auto it = response.headers.find(name);
    return it == response.headers.end() ? std::string() : it->second;
  }

  static std::string code(const TestResponse& response) { return consoleReason(response.body); }

  std::uint64_t logged() { return server_->exchangeLog().lastSequence(); }
};

TEST_F(ConsoleTest, EveryPageIsRecordedFirstAndLockedDown) {
  appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  for (const std::string page :
       {"/console", "/console/uitwisselingen", "/console/toestemmingen", "/console/controle", "/console/toegang"}) {
    const auto before = logged();
    const auto response = get("fg-0363", page);
    EXPECT_EQ(response.status, 200u) << page << response.body;
    EXPECT_EQ(response.headers.at("content-type"), "text/html; charset=utf-8");
    const std::string csp = response.headers.at("content-security-policy");
    EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
    EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
    EXPECT_THAT(csp, Not(HasSubstr("unsafe")));
    EXPECT_EQ(response.headers.at("cache-control"), "no-store");
    EXPECT_EQ(response.headers.at("x-frame-options"), "DENY");
    EXPECT_THAT(response.body, Not(HasSubstr("<script"))) << page;
    EXPECT_THAT(response.body, Not(HasSubstr("style=\""))) << page;
    // The controle page is a form: it shows; only running it (POST) records.
    EXPECT_EQ(logged(), before + (page == "/console/controle" ? 0 : 1)) << page;
  }
  const auto css = get("fg-0363", "/console/console.css");
  EXPECT_EQ(css.status, 200u);
  EXPECT_EQ(css.headers.at("content-type"), "text/css; charset=utf-8");
  EXPECT_THAT(css.body, HasSubstr("@media print"));
  // Other roles are refused by the listener, before any page.
  EXPECT_EQ(get("gemeente-0363", "/console").status, 403u);
  EXPECT_EQ(get("coa", "/console/inzage").status, 403u);
}

TEST_F(ConsoleTest, AnOfficerSeesOnlyTheirOwnOrganisation) {
  const auto amsterdam = appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  const auto den_haag = appendExchange(kDenHaag, ExchangeOutcome::kRefused, "no-koppeling");
  const auto own = get("fg-0363", "/console/uitwisselingen/" + std::to_string(amsterdam));
  EXPECT_EQ(own.status, 200u);
  EXPECT_THAT(own.body, HasSubstr("Besluit inburgering 2021 art. 9.4 lid 3"));
  EXPECT_THAT(own.body, HasSubstr("diagnosen (medisch)"));
  EXPECT_THAT(own.body, HasSubstr("bijzonder persoonsgegeven"));
  const auto other = get("fg-0363", "/console/uitwisselingen/" + std::to_string(den_haag));
  EXPECT_EQ(other.status, 404u);
  EXPECT_EQ(code(other), "not-found");
  EXPECT_EQ(get("fg-0518", "/console/uitwisselingen/" + std::to_string(den_haag)).status, 200u);
  const auto search = get("fg-0363", "/console/uitwisselingen");
  EXPECT_THAT(search.body, HasSubstr("/console/uitwisselingen/" + std::to_string(amsterdam) + "\""));
  EXPECT_THAT(search.body, Not(HasSubstr("/console/uitwisselingen/" + std::to_string(den_haag) + "\"")));
  // The overview counts Amsterdam's exchange, never 's-Gravenhage's refusal.
  // Counted in the background: the overview shows it once the count caught up.
  EXPECT_TRUE(
      waitUntil([&] { return get("fg-0363", "/console").body.find(">1</span>uitwisselingen") != std::string::npos; },
                std::chrono::seconds(5)));
  const auto overview = get("fg-0363", "/console");
  EXPECT_THAT(overview.body, HasSubstr(">1</span>uitwisselingen"));
  EXPECT_THAT(overview.body, HasSubstr(">0</span>geweigerd"));
}

TEST_F(ConsoleTest, InzageTakesTheBsnOnlyFromThisConsolesFormAndShowsNoneOfIt) {
  appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  appendExchange(kDenHaag, ExchangeOutcome::kQueued, "");
  const std::string token = tokenFor("fg-0363");
  ASSERT_FALSE(token.empty());
  const std::string origin = sameOrigin();
  const std::string same_site = "Sec-Fetch-Site: same-origin\r\n";

  const auto before = logged();
  const auto report =
      post("fg-0363", "/console/inzage", "bsn=" + std::string(kBsn) + "&formulier=" + token, origin + same_site);
  ASSERT_EQ(report.status, 200u) << report.body;
  EXPECT_THAT(report.body, HasSubstr("Gemeente Amsterdam"));
  EXPECT_THAT(report.body, HasSubstr("COA"));
  EXPECT_THAT(report.body, HasSubstr("Achtergehouden"));
  EXPECT_THAT(report.body, HasSubstr("bijzonder persoonsgegeven"));
  EXPECT_THAT(report.body, HasSubstr("1 uitwisseling(en), met 1 organisatie(s)"));  // not 's-Gravenhage's
  EXPECT_THAT(report.body, Not(HasSubstr(kBsn)));
  EXPECT_THAT(report.body, HasSubstr("<title>Inzage voor een persoon — ketenpoort</title>"));
  // Recorded first, by the person's reference, never the BSN.
  ASSERT_EQ(logged(), before + 1);
  ExchangeQuery trail;
  trail.organisation_oin = "00000099400000000363";
  trail.after_sequence = before;
  const auto recorded = server_->exchangeLog().findExchanges(trail);
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].record.purpose, "audit:console:inzage");
  EXPECT_EQ(recorded[0].record.subject_ref.size(), 64u);
  for (const auto& term : recorded[0].record.fields_delivered) EXPECT_THAT(term, Not(HasSubstr(kBsn)));

  // Refused, and nothing recorded or shown: no token, another officer's token, another
  // site, an opaque origin, not a form, a token in a URL.
  const std::string form = "bsn=" + std::string(kBsn) + "&formulier=" + token;
  const std::vector<std::pair<TestResponse, std::string>> refused{
      {post("fg-0363", "/console/inzage", "bsn=" + std::string(kBsn), origin), "form-not-trusted"},
      {post("fg-0363", "/console/inzage", "bsn=" + std::string(kBsn) + "&formulier=" + tokenFor("fg-0518"), origin),
       "form-not-trusted"},
      {post("fg-0518", "/console/inzage", form, ""), "form-not-trusted"},
      {post("fg-0363", "/console/inzage", form, "Origin: https://elders.example\r\n"), "cross-site-request"},
      {post("fg-0363", "/console/inzage", form, "Origin: null\r\n"), "cross-site-request"},
      {post("fg-0363", "/console/inzage", form, "Sec-Fetch-Site: cross-site\r\n"), "cross-site-request"},
      {post("fg-0363", "/console/inzage", R"({"bsn":")" + std::string(kBsn) + "\"}", origin, "application/json"),
       "invalid-query"},
      {post("fg-0363", "/console/inzage?formulier=" + token, form, origin), "invalid-query"},
      {post("fg-0363", "/console/inzage", "bsn=725763864&formulier=" + token, origin), "invalid-query"},
      {post("fg-0363", "/console/inzage", form + "&extra=1", origin), "invalid-query"},
  };
  const auto after_refusals = logged();
  for (const auto& [response, expected] : refused) {
    EXPECT_EQ(code(response), expected) << response.body;
    EXPECT_THAT(response.body, Not(HasSubstr(kBsn)));
    EXPECT_THAT(response.body, Not(HasSubstr("Achtergehouden")));
  }
  EXPECT_EQ(after_refusals, before + 1);  // only the one answered
  const auto in_url = get("fg-0363", "/console/inzage?bsn=" + std::string(kBsn));
  EXPECT_EQ(in_url.status, 400u);
  EXPECT_EQ(code(in_url), "bsn-in-url");
  EXPECT_EQ(code(get("fg-0363", "/console/uitwisselingen?bsn=" + std::string(kBsn))), "bsn-in-url");
}

// A filter that matches nothing recent reads a bounded window of record numbers, not the
// whole log, and says how far it looked; the next window finds what is older.
TEST_F(ConsoleTest, AFilteredSearchLooksThroughAWindowAndOffersTheOlderRecords) {
  const auto refused = appendExchange(kAmsterdam, ExchangeOutcome::kRefused, "no-koppeling");
  std::vector<ExchangeRecord> newer;
  for (int i = 0; i < 60'000; ++i) newer.push_back(exchange(kAmsterdam, ExchangeOutcome::kQueued, ""));
  appendAll(server_->exchangeLog(), std::move(newer));
  const std::string link = "/console/uitwisselingen/" + std::to_string(refused) + "\"";

  const auto recent = get("fg-0363", "/console/uitwisselingen?uitkomst=refused");
  ASSERT_EQ(recent.status, 200u);
  EXPECT_THAT(recent.body, HasSubstr("Geen uitwisselingen gevonden"));
  EXPECT_THAT(recent.body, Not(HasSubstr(link)));
  const std::string window_start = textAfter(recent.body, "Gezocht tot en met record ", "0123456789");
  ASSERT_FALSE(window_start.empty());
  EXPECT_GT(std::stoull(window_start), refused);
  const std::string older = "/console/uitwisselingen?uitkomst=refused&amp;voor=" + window_start;
  EXPECT_THAT(recent.body, HasSubstr(older + "\">Verder zoeken in oudere records"));

  const auto next = get("fg-0363", "/console/uitwisselingen?uitkomst=refused&voor=" + window_start);
  ASSERT_EQ(next.status, 200u);
  EXPECT_THAT(next.body, HasSubstr(link));
  EXPECT_THAT(next.body, Not(HasSubstr("Verder zoeken in oudere records")));
  // Without a filter, a page is the newest fifty whatever their number.
  EXPECT_THAT(get("fg-0363", "/console/uitwisselingen").body, Not(HasSubstr("Gezocht tot en met record")));
}

TEST_F(ConsoleTest, NothingIsShownWhenTheViewCannotBeRecorded) {
  const auto sequence = appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  const std::string token = tokenFor("fg-0363");
  const auto before = logged();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto search = get("fg-0363", "/console/uitwisselingen");
  const auto one = get("fg-0363", "/console/uitwisselingen/" + std::to_string(sequence));
  const auto report = post("fg-0363", "/console/inzage", "bsn=" + std::string(kBsn) + "&formulier=" + token);
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  for (const auto* response : {&search, &one, &report}) {
    EXPECT_EQ(response->status, 503u);
    EXPECT_EQ(code(*response), "log-unavailable");
    EXPECT_THAT(response->body, Not(HasSubstr("/console/uitwisselingen/" + std::to_string(sequence) + "\"")));
    EXPECT_THAT(response->body, Not(HasSubstr("Achtergehouden")));
  }
  EXPECT_EQ(logged(), before);
  EXPECT_EQ(get("fg-0363", "/console/uitwisselingen").status, 200u);  // and once the log takes writes again
}

TEST_F(ConsoleTest, HostileInputGetsAProblemPageNeverAnEcho) {
  const auto check = [&](const std::string& target, unsigned status, const std::string& expected) {
    const auto response = get("fg-0363", target);
    EXPECT_EQ(response.status, status) << target;
    EXPECT_EQ(code(response), expected) << target;
    EXPECT_THAT(response.body, Not(HasSubstr("<script>"))) << target;
    EXPECT_THAT(response.body, Not(HasSubstr("\xff"))) << target;
  };
  check("/console/uitwisselingen?stroom=%3Cscript%3Ealert(1)%3C/script%3E", 400, "invalid-query");
  check("/console/uitwisselingen?%3Cscript%3E=1", 400, "invalid-query");
  check("/console/uitwisselingen?stroom=%FF%FE", 400, "invalid-query");
  check("/console/uitwisselingen?van=2026-02-30", 400, "invalid-query");
  check("/console/uitwisselingen?voor=-1", 400, "invalid-query");
  check("/console/uitwisselingen?uitkomst=a&uitkomst=b", 400, "invalid-query");
  check("/console/uitwisselingen?uitkomst=verloren", 400, "invalid-query");  // not an outcome
  check("/console/uitwisselingen?uitkomst=Refused", 400, "invalid-query");
  check("/console/uitwisselingen/99999999999999999999999", 404, "not-found");
  check("/console/uitwisselingen/0", 404, "not-found");
  check("/console/uitwisselingen/1x", 404, "not-found");
  check("/console/toegang?voor=abc", 400, "invalid-query");
  check("/console/toestemmingen?x=1", 400, "invalid-query");
}

// After a purge the check says what went under signed purge records, and that the rest holds.
TEST_F(ConsoleTest, VerificationReportsWhatPurgesRemoved) {
  for (int i = 0; i < 3; ++i) {
    ExchangeRecord old_one = exchange(kAmsterdam, ExchangeOutcome::kQueued, "");
    old_one.retention_until = "2026-01-01";
    ASSERT_TRUE(server_->exchangeLog().appendAndWait(old_one).ok);
  }
  appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  PurgeBatchRequest request;
  request.as_of = "2026-06-01";
  ASSERT_EQ(purgeExpired(server_->exchangeLog(), request).removed, 3u);
  const auto checked = verifyNow("fg-0363");
  ASSERT_EQ(checked.status, 200u) << checked.body;
  EXPECT_THAT(checked.body, HasSubstr("Het logboek is in orde"));
  EXPECT_THAT(checked.body, HasSubstr("3 records verwijderd na hun bewaartermijn, onder 1 ondertekende"));
  // Which years' pseudonyms can still be linked to a person (ADR 0020).
  const auto page = get("fg-0363", "/console/controle");
  ASSERT_EQ(page.status, 200u) << page.body;
  EXPECT_THAT(page.body, HasSubstr("Sleutels van de pseudoniemen"));
  EXPECT_THAT(page.body, HasSubstr("<tr><td>" + std::to_string(static_cast<int>(todayUtc().year())) + "</td>"));
  EXPECT_THAT(page.body, HasSubstr("nog in gebruik"));
}

TEST_F(ConsoleTest, VerificationFindsAnAlteredRecordAndShowsTheHeadsToKeep) {
  appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  const auto intact = verifyNow("fg-0363");
  ASSERT_EQ(intact.status, 200u) << intact.body;
  EXPECT_THAT(intact.body, HasSubstr("Het logboek is in orde"));
  EXPECT_THAT(intact.body, HasSubstr("&quot;record_hash&quot;"));
  EXPECT_THAT(get("fg-0363", "/console").body, HasSubstr("in orde</span>"));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE exchange_log SET purpose = 'anders' WHERE seq = 2", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto broken = verifyNow("fg-0363");
  ASSERT_EQ(broken.status, 200u) << broken.body;
  EXPECT_THAT(broken.body, HasSubstr("Het logboek is NIET in orde"));
  EXPECT_THAT(broken.body, HasSubstr("eerste foute record 2"));
}

// Issue 25, item 5: a page elsewhere cannot make the officer's browser write into the
// accountability trail: no console view through an <img>, no audit query through a
// text/plain POST; refused before anything is recorded.
TEST_F(ConsoleTest, CrossSiteRequestsAreRefusedBeforeAnythingIsRecorded) {
  const auto sequence = appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  const std::string page = "/console/uitwisselingen/" + std::to_string(sequence);
  const auto before = logged();
  for (const std::string headers :
       {"Sec-Fetch-Site: cross-site\r\nSec-Fetch-Dest: image\r\n", "Sec-Fetch-Site: same-site\r\n",
        "Origin: https://evil.example\r\n", "Origin: null\r\n"}) {
    const auto image = get("fg-0363", page, headers);
    EXPECT_EQ(image.status, 403u) << headers;
    EXPECT_EQ(code(image), "cross-site-request") << headers;
    EXPECT_THAT(headerOf(image, "content-security-policy"), HasSubstr("default-src 'none'"));
  }
  const std::string body = R"({"bsn":")" + std::string(kBsn) + "\"}";
  for (const std::string route : {"/v1/audit/exchanges", "/v1/audit/consents", "/v1/ldv/processing-activities"}) {
    const auto forged =
        post("fg-0363", route, body, "Origin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\n", "text/plain");
    EXPECT_EQ(forged.status, 403u) << route;
    EXPECT_THAT(forged.body, HasSubstr("cross-site-request"));
    EXPECT_THAT(forged.body, Not(HasSubstr(kBsn)));
    // Without the browser's headers, a body that is not JSON is still not taken.
    const auto plain = post("fg-0363", route, body, "", "text/plain");
    EXPECT_EQ(plain.status, 415u) << route;
    EXPECT_THAT(plain.body, HasSubstr("unsupported-media-type"));
  }
  EXPECT_EQ(logged(), before);  // nothing recorded in the officer's name
  // The officer's own navigation (typed, a link of the console) and a JSON client pass.
  EXPECT_EQ(get("fg-0363", page, "Sec-Fetch-Site: none\r\n").status, 200u);
  EXPECT_EQ(get("fg-0363", page, "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Dest: document\r\n").status, 200u);
  const auto json = post("fg-0363", "/v1/audit/exchanges", body, sameOrigin() + "Sec-Fetch-Site: same-origin\r\n",
                         "application/json; charset=utf-8");
  EXPECT_EQ(json.status, 200u) << json.body;
  EXPECT_EQ(logged(), before + 3);
}

// Issue 25, item 8: what the caller typed into a path does not come back (a BSN, also
// after ';' or an encoded '?'); the router's own answers under /console keep the console's
// headers; a cursor beyond what a store can bind is refused, not wrapped to the first page;
// a JSON body naming a key twice is refused.
TEST_F(ConsoleTest, HostileTargetsAndBodiesAreRefusedWithoutEchoOrWrap) {
  appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  for (const std::string& target :
       {"/console/" + std::string(kBsn), "/v1/audit/x;" + std::string(kBsn), "/nergens%3Fbsn=" + std::string(kBsn),
        "/console/uitwisselingen/1/" + std::string(kBsn)}) {
    const auto missing = get("fg-0363", target);
    EXPECT_EQ(missing.status, 404u) << target;
    EXPECT_THAT(missing.body, Not(HasSubstr(kBsn))) << target;
    if (target.starts_with("/console")) {
      EXPECT_THAT(headerOf(missing, "content-security-policy"), HasSubstr("default-src 'none'")) << target;
      EXPECT_EQ(headerOf(missing, "x-frame-options"), "DENY");
    }
  }
  const auto wrong_method = post("fg-0363", "/console/toegang", "", sameOrigin());
  EXPECT_EQ(wrong_method.status, 405u);
  EXPECT_THAT(headerOf(wrong_method, "content-security-policy"), HasSubstr("default-src 'none'"));

  const auto before = logged();
  for (const std::string after : {"18446744073709551615", "9223372036854775808"}) {
    const auto wrapped = get("fg-0363", "/v1/audit/exchanges?after=" + after);
    EXPECT_EQ(wrapped.status, 400u) << after << wrapped.body;
    EXPECT_THAT(wrapped.body, HasSubstr("invalid-query"));
    EXPECT_EQ(get("fg-0363", "/console/uitwisselingen?voor=" + after).status, 400u);
    EXPECT_EQ(get("fg-0363", "/console/uitwisselingen/" + after).status, 404u);
  }
  EXPECT_EQ(logged(), before);
  const auto last = get("fg-0363", "/v1/audit/exchanges?after=9223372036854775807");
  EXPECT_EQ(last.status, 200u);
  EXPECT_THAT(last.body, HasSubstr(R"("exchanges":[])"));

  const std::string other = "162275869";  // synthetic, passes the elfproef
  for (const std::string& body : {R"({"bsn":")" + other + R"(","bsn":")" + std::string(kBsn) + R"("})",
                                  R"({"bsn":")" + std::string(kBsn) + R"(","limit":"1","limit":"2"})"}) {
    const auto twice = post("fg-0363", "/v1/audit/exchanges", body, "", "application/json");
    EXPECT_EQ(twice.status, 400u) << body;
    EXPECT_THAT(twice.body, HasSubstr("invalid-query"));
    EXPECT_THAT(twice.body, Not(HasSubstr(kBsn)));
    EXPECT_THAT(twice.body, Not(HasSubstr(other)));
  }
  EXPECT_EQ(logged(), before + 1);  // only the last page was asked and recorded
}

// Issue 25, item 6: an officer's view of one exchange is recorded so that the person's
// BSN finds it (as LDV lezen and the access report look), like the exchange itself.
TEST_F(ConsoleTest, AViewOfOneExchangeIsFoundByThePersonsBsn) {
  const auto sequence = appendExchange(kAmsterdam, ExchangeOutcome::kQueued, "");
  ASSERT_EQ(get("fg-0363", "/console/uitwisselingen/" + std::to_string(sequence)).status, 200u);
  const auto referencer = SubjectReferencer::loadOrCreate(config_.storage_path.parent_path() / "subject.key");
  ExchangeQuery about;
  about.organisation_oin = kAmsterdam;
  about.subject_ref = referencer.reference({SubjectKey::Kind::kBsn, kBsn});
  const auto found = server_->exchangeLog().findExchanges(about);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].sequence, sequence);
  EXPECT_EQ(found[1].record.purpose, "audit:console:uitwisseling");
  EXPECT_EQ(found[1].record.sender_oin, "00000099400000000363");
  // And through LDV lezen, as the officer asks it.
  TestTlsClient client(server_->auditPort(), asParty("fg-0363"));
  const auto ldv = client.request("POST", "/v1/ldv/processing-activities", R"({"bsn":")" + std::string(kBsn) + "\"}");
  ASSERT_TRUE(ldv);
  ASSERT_EQ(ldv->status, 200u) << ldv->body;
  EXPECT_THAT(ldv->body, HasSubstr("console:uitwisseling"));
}

}  // namespace
}  // namespace ketenpoort::testing
