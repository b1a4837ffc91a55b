// The console's parts without a network: escaping, the form guard, the plain-Dutch words,
// the figures counted from the log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "gateway/console/exchange_statistics.hpp"
#include "gateway/console/form_guard.hpp"
#include "gateway/console/html.hpp"
#include "gateway/console/plain_dutch.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

TEST(ConsoleHtml, EscapesMarkupAndReplacesWhatIsNotText) {
  EXPECT_EQ(html::escape(R"(<a href="x" onclick='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(html::escape("’s-Gravenhage €"), "’s-Gravenhage €");  // UTF-8 kept
  EXPECT_EQ(html::escape("a\xff"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");                                                                   // not UTF-8
  EXPECT_EQ(html::escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(html::escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(html::escape(std::string("a\0b\x1b", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(html::escape("line\nnext"), "line\nnext");
  EXPECT_EQ(html::link("/console/uitwisselingen", {{"stroom", "coa.klantprofiel"}, {"van", ""}, {"x", "a&b c"}}),
            "/console/uitwisselingen?stroom=coa.klantprofiel&x=a%26b%20c");
}

TEST(ConsoleHtml, APageNamesTheCurrentEntryAndEscapesTheTitle) {
  html::Frame frame{"Zoeken <b>", "/console/inzage", "F. G. <Officer>", "Gemeente", {}};
  const std::string page = html::page(frame, html::Markup("<p>inhoud</p>"));
  EXPECT_THAT(page, HasSubstr("<title>Zoeken &lt;b&gt; — ketenpoort</title>"));
  EXPECT_THAT(page, HasSubstr("<a href=\"/console/inzage\" aria-current=\"page\">"));
  EXPECT_THAT(page, HasSubstr("F. G. &lt;Officer&gt;"));
  EXPECT_THAT(page, HasSubstr("<html lang=\"nl\">"));
}

// Text cannot reach markup unescaped: only a string literal is markup (checked when this
// file compiles), everything else goes in as text() and is escaped.
static_assert(!std::is_constructible_v<html::Tags, std::string>);
static_assert(!std::is_constructible_v<html::Tags, const char*>);
template <class T>
concept AppendableToMarkup = requires(html::Markup m, T value) {
  m << value;
};
static_assert(AppendableToMarkup<html::Text> && AppendableToMarkup<int> && AppendableToMarkup<html::Markup>);
static_assert(!AppendableToMarkup<std::string> && !AppendableToMarkup<std::string_view>);
static_assert(!AppendableToMarkup<const char*> && !AppendableToMarkup<char> && !AppendableToMarkup<double>);
static_assert(!std::is_constructible_v<html::Markup, std::string>);

TEST(ConsoleHtml, MarkupTakesTagsAsWrittenTextEscapedAndNumbers) {
  const std::string from_a_record = "<script>alert('x')</script> & \xff";
  html::Markup part;
  part << "<em>" << html::text(from_a_record) << "</em>";
  html::Markup out("<p class=\"x\">");
  out << part << " " << std::uint64_t{42} << " " << -7 << "</p>";
  EXPECT_EQ(out.str(),
            "<p class=\"x\"><em>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; \xEF\xBF\xBD</em> 42 -7</p>");
}

ApiRequest formPost(std::string body) {
  ApiRequest request;
  request.method = "POST";
  request.path = "/console/inzage";
  request.headers["host"] = "127.0.0.1:8444";
  request.headers["content-type"] = "application/x-www-form-urlencoded";
  request.body = std::move(body);
  return request;
}

TEST(ConsoleFormGuard, TakesOnlyAFreshTokenOfThisOfficerFromThisSite) {
  const FormGuard guard(std::string(64, '7'), std::chrono::hours(10));
  const auto now = std::chrono::system_clock::now();
  const std::string token = guard.issue("00000099400000000363", now);
  const auto taken = guard.accept(formPost("bsn=725763863&formulier=" + token), "00000099400000000363", now);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, (std::map<std::string, std::string>{{"bsn", "725763863"}}));  // the token is not a field

  const auto refused = [&](const ApiRequest& request, std::string_view officer,
                           std::chrono::system_clock::time_point at) {
    const auto r = guard.accept(request, officer, at);
    return r.ok() ? std::string("accepted") : std::string(r.problem().name());
  };
  const std::string form = "formulier=" + token;
  EXPECT_EQ(refused(formPost(form), "00000099400000000518", now), "form-not-trusted");  // another officer
  EXPECT_EQ(refused(formPost(form), "00000099400000000363", now + std::chrono::hours(11)), "form-not-trusted");
  EXPECT_EQ(refused(formPost(form), "00000099400000000363", now + std::chrono::hours(9)), "accepted");
  EXPECT_EQ(refused(formPost("bsn=1"), "00000099400000000363", now), "form-not-trusted");
  std::string tampered = token;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(refused(formPost("formulier=" + tampered), "00000099400000000363", now), "form-not-trusted");
  // A later expiry with the old MAC: the expiry is what the MAC covers.
  EXPECT_EQ(refused(formPost("formulier=9" + token), "00000099400000000363", now), "form-not-trusted");
  EXPECT_EQ(refused(formPost("formulier=.abc"), "00000099400000000363", now), "form-not-trusted");
  EXPECT_EQ(refused(formPost("formulier=abc"), "00000099400000000363", now), "form-not-trusted");
  const FormGuard other_key(std::string(64, '8'), std::chrono::hours(10));
  EXPECT_FALSE(other_key.accept(formPost(form), "00000099400000000363", now).ok());

  auto cross = formPost(form);
  cross.headers["origin"] = "https://elders.example";
  EXPECT_EQ(refused(cross, "00000099400000000363", now), "cross-site-request");
  cross.headers["origin"] = "null";
  EXPECT_EQ(refused(cross, "00000099400000000363", now), "cross-site-request");
  cross.headers["origin"] = "https://127.0.0.1:8444";
  EXPECT_EQ(refused(cross, "00000099400000000363", now), "accepted");
  cross.headers["sec-fetch-site"] = "same-site";
  EXPECT_EQ(refused(cross, "00000099400000000363", now), "cross-site-request");
  auto json = formPost(form);
  json.headers["content-type"] = "application/json";
  EXPECT_EQ(refused(json, "00000099400000000363", now), "invalid-query");
  EXPECT_EQ(refused(formPost(form + "&formulier=" + token), "00000099400000000363", now), "invalid-query");
}

TEST(ConsolePlainDutch, SaysTheCodesInWordsAndShowsAnUnknownCodeAsItIs) {
  EXPECT_EQ(plain_dutch::outcome("refused"), "geweigerd");
  EXPECT_THAT(plain_dutch::reason("special-category"), HasSubstr("bijzonder persoonsgegeven"));
  EXPECT_THAT(plain_dutch::reason("no-koppeling"), HasSubstr("niet aan deze gemeente gekoppeld"));
  EXPECT_EQ(plain_dutch::reason("iets-nieuws"), "iets-nieuws");
  // Issue 25's outcomes, in words an officer reads.
  EXPECT_THAT(plain_dutch::reason("koppeling-conflict"), HasSubstr("herkoppeling"));
  EXPECT_THAT(plain_dutch::reason("agreement-ended"), HasSubstr("beëindigd"));
  EXPECT_THAT(plain_dutch::reason("basis-ended-during-delivery:consent"), HasSubstr("onderweg"));
  EXPECT_EQ(plain_dutch::fieldLabel("gezin.leden[3].geboortedatum"), "geboortedatum (gezin.leden)");
  EXPECT_EQ(plain_dutch::fieldLabel("procedure.koppeling_datum"), "koppeling datum (procedure)");
  EXPECT_EQ(plain_dutch::fieldLabel("medisch/diagnose"), "medisch/diagnose");
  EXPECT_EQ(plain_dutch::dateTime("2026-11-22T15:04:05.123Z"), "22 november 2026, 15:04 uur (UTC)");
  EXPECT_EQ(plain_dutch::dateTime("2026-01-05"), "5 januari 2026");
  EXPECT_EQ(plain_dutch::dateTime("2026-13-05"), "2026-13-05");
  EXPECT_EQ(plain_dutch::dateTime("x"), "x");
}

TEST(ConsoleStatistics, CountsEachOrganisationsExchangesOnceAndLeavesTheGatewaysOwnOut) {
  testing::TempDir dir;
  ExchangeLogOptions options;
  options.database = dir.path() / "log.db";
  options.signing_key = dir.path() / "log-signing.key";
  SqliteExchangeLog log(options);
  const auto append = [&](const char* recipient, const char* flow, ExchangeOutcome outcome, const char* reason,
                          const char* day) {
    ExchangeRecord r;
    r.transaction_id = newUuidV7();
    r.trace_id = newTraceId();
    r.time_utc = std::string(day) + "T10:00:00.000Z";
    r.flow = flow;
    r.sender_oin = "00000099100000000001";
    r.recipient_oin = recipient;
    r.outcome = outcome;
    r.reason = reason;
    r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}, {"medisch.diagnosen[1]", "special-category"}};
    ASSERT_TRUE(log.appendAndWait(r).ok);
  };
  append("00000099200000000363", "coa.klantprofiel", ExchangeOutcome::kQueued, "", "2026-12-01");
  append("00000099200000000363", "coa.klantprofiel", ExchangeOutcome::kRefused, "no-koppeling", "2026-12-02");
  append("00000099200000000518", "coa.klantprofiel", ExchangeOutcome::kQueued, "", "2026-12-02");
  append("00000099200000000363", "ketenpoort.audit-query", ExchangeOutcome::kDelivered, "audit-query", "2026-12-02");

  ExchangeStatistics statistics(log, {"00000099200000000363", "00000099200000000518"});
  ASSERT_TRUE(statistics.refresh());
  auto amsterdam = statistics.summary("00000099200000000363");
  EXPECT_EQ(amsterdam.exchanges, 2u);
  EXPECT_EQ(amsterdam.counted_until, 4u);
  EXPECT_EQ(amsterdam.per_day.at("2026-12-01")[1], 1u);
  EXPECT_EQ(amsterdam.per_day.at("2026-12-02")[2], 1u);
  EXPECT_EQ((amsterdam.refusals.at({"coa.klantprofiel", "no-koppeling"})), 1u);
  // Two fields of two exchanges, their indices folded.
  EXPECT_EQ((amsterdam.withheld.at({"coa.klantprofiel", "medisch.diagnosen[]", "special-category"})), 4u);
  EXPECT_FALSE(amsterdam.per_flow.contains("ketenpoort.audit-query"));
  EXPECT_EQ(statistics.summary("00000099200000000518").exchanges, 1u);
  EXPECT_EQ(statistics.summary("00000099200000000999").exchanges, 0u);

  // A second round counts only what is new.
  append("00000099200000000363", "coa.klantprofiel", ExchangeOutcome::kQueued, "", "2026-12-02");
  ASSERT_TRUE(statistics.refresh());
  ASSERT_TRUE(statistics.refresh());
  amsterdam = statistics.summary("00000099200000000363");
  EXPECT_EQ(amsterdam.exchanges, 3u);
  EXPECT_EQ(amsterdam.per_flow.at("coa.klantprofiel")[1], 2u);
}

}  // namespace
}  // namespace ketenpoort
