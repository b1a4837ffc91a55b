#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateway/api/cross_site.hpp"
#include "gateway/api/gateway_api.hpp"
#include "gateway/api/query_string.hpp"
#include "gateway/api/router.hpp"
#include "gateway/api/strict_json.hpp"

namespace ketenpoort {
namespace {

ApiRequest requestFor(std::string method, std::string path) {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

Router::Outcome dispatch(const Router& router, ApiRequest request) { return router.dispatch(request); }

TEST(Router, DispatchesExactAndTemplatedPaths) {
  Router router;
  router.add("GET", "/v1/whoami", [](const ApiRequest&) { return ApiResponse{200, "text/plain", "me", {}}; });
  router.add("POST", "/v1/berichten/{flow}", [](const ApiRequest& r) {
    return ApiResponse{202, "text/plain", r.path, {}};
  });
  auto whoami = dispatch(router, requestFor("GET", "/v1/whoami"));
  EXPECT_EQ(whoami.response.body, "me");
  EXPECT_EQ(whoami.route, "/v1/whoami");
  auto push = dispatch(router, requestFor("POST", "/v1/berichten/coa.klantprofiel"));
  EXPECT_EQ(push.response.status, 202u);
  EXPECT_EQ(push.route, "/v1/berichten/{flow}");  // the template, never the value
  EXPECT_EQ(dispatch(router, requestFor("POST", "/v1/berichten/")).response.status, 404u);
  EXPECT_EQ(dispatch(router, requestFor("POST", "/v1/berichten/a/b")).response.status, 404u);
}

TEST(Router, TemplateSegmentsMayStandInTheMiddle) {
  Router router;
  router.add("POST", "/v1/postbus/{id}/ack", [](const ApiRequest& r) {
    // By name, not by segment index; a name the route does not have is empty.
    return ApiResponse{204, "text/plain", std::string(r.param("id")) + "|" + std::string(r.param("flow")), {}};
  });
  const auto ack = dispatch(router, requestFor("POST", "/v1/postbus/0192-ab/ack"));
  EXPECT_EQ(ack.response.status, 204u);
  EXPECT_EQ(ack.response.body, "0192-ab|");
  EXPECT_EQ(ack.route, "/v1/postbus/{id}/ack");
  EXPECT_EQ(dispatch(router, requestFor("POST", "/v1/postbus//ack")).response.status, 404u);
  EXPECT_EQ(dispatch(router, requestFor("POST", "/v1/postbus/x/ack/y")).response.status, 404u);
  EXPECT_EQ(dispatch(router, requestFor("POST", "/v1/postbus/x")).response.status, 404u);
}

TEST(Router, UnknownPathIsNotFoundProblem) {
  Router router;
  const auto outcome = dispatch(router, requestFor("GET", "/nowhere"));
  EXPECT_EQ(outcome.response.status, 404u);
  EXPECT_EQ(outcome.response.content_type, "application/problem+json");
  EXPECT_EQ(outcome.route, "unmatched");
  const auto json = boost::json::parse(outcome.response.body).as_object();
  EXPECT_EQ(json.at("code"), "not-found");
  EXPECT_EQ(json.at("status"), 404);
  EXPECT_EQ(json.at("type"), "urn:ketenpoort:problem:not-found");
  // What the caller typed is not echoed (it may be a BSN).
  EXPECT_FALSE(json.contains("instance"));
  EXPECT_EQ(outcome.response.body.find("nowhere"), std::string::npos);
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllowHeader) {
  Router router;
  router.add("GET", "/v1/whoami", [](const ApiRequest&) { return ApiResponse{}; });
  const auto outcome = dispatch(router, requestFor("DELETE", "/v1/whoami"));
  EXPECT_EQ(outcome.response.status, 405u);
  ASSERT_EQ(outcome.response.headers.size(), 1u);
  EXPECT_EQ(outcome.response.headers[0].first, "Allow");
  EXPECT_EQ(outcome.response.headers[0].second, "GET");
}

// Issue 25: a guard refuses before the handler runs; `finish` sees every answer the router
// makes itself; neither the path nor the method comes back.
TEST(Router, AGuardRefusesBeforeTheHandlerAndFinishSeesTheRoutersOwnAnswers) {
  Router router;
  int handled = 0;
  router.add("GET", "/console/x", [&handled](const ApiRequest&) {
    ++handled;
    return ApiResponse{};
  });
  router.setGuard([](const ApiRequest& r) -> std::optional<Problem> {
    if (r.headers.contains("evil")) return problems::crossSiteRequest("no");
    return std::nullopt;
  });
  router.setFinish([](const ApiRequest&, ApiResponse& response) { response.headers.emplace_back("X-Seen", "1"); });
  ApiRequest evil = requestFor("GET", "/console/x");
  evil.headers["evil"] = "1";
  const auto refused = dispatch(router, evil);
  EXPECT_EQ(refused.response.status, 403u);
  EXPECT_EQ(refused.route, "/console/x");
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(refused.response.headers.back().first, "X-Seen");
  EXPECT_EQ(dispatch(router, requestFor("GET", "/console/x")).response.status, 200u);
  EXPECT_EQ(handled, 1);
  const auto missing = dispatch(router, requestFor("GET", "/console/725763863"));
  EXPECT_EQ(missing.response.headers.back().first, "X-Seen");
  EXPECT_EQ(missing.response.body.find("725763863"), std::string::npos);
  const auto method = dispatch(router, requestFor("X725763863", "/console/x"));
  EXPECT_EQ(method.response.status, 405u);
  EXPECT_EQ(method.response.body.find("725763863"), std::string::npos);
}

TEST(CrossSite, OnlyTheListenersOwnPagesAndNonBrowserClientsPass) {
  ApiRequest r = requestFor("GET", "/console/uitwisselingen/1");
  r.headers["host"] = "127.0.0.1:8444";
  EXPECT_FALSE(crossSiteProblem(r));  // no browser headers: curl, a script
  for (const char* site : {"same-origin", "none"}) {
    r.headers["sec-fetch-site"] = site;
    EXPECT_FALSE(crossSiteProblem(r)) << site;
  }
  for (const char* site : {"cross-site", "same-site", "Same-Origin", "x"}) {
    r.headers["sec-fetch-site"] = site;
    ASSERT_TRUE(crossSiteProblem(r)) << site;
    EXPECT_EQ(crossSiteProblem(r)->code, Reason::kCrossSiteRequest);
  }
  r.headers.erase("sec-fetch-site");
  for (const char* origin : {"https://evil.example", "null", "http://127.0.0.1:8444", "https://127.0.0.1:8445", ""}) {
    r.headers["origin"] = origin;
    EXPECT_TRUE(crossSiteProblem(r)) << origin;
  }
  r.headers["origin"] = "https://127.0.0.1:8444";
  EXPECT_FALSE(crossSiteProblem(r));
  // The audit API's POSTs are JSON; a console form is not the guard's business.
  ApiRequest post = requestFor("POST", "/v1/audit/exchanges");
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
                           "application/jsonx"}) {
    post.headers["content-type"] = type;
    ASSERT_TRUE(crossSiteProblem(post)) << type;
    EXPECT_EQ(crossSiteProblem(post)->code, Reason::kUnsupportedMediaType);
  }
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8", " application/json "}) {
    post.headers["content-type"] = type;
    EXPECT_FALSE(crossSiteProblem(post)) << type;
  }
  ApiRequest form = requestFor("POST", "/console/inzage");
  form.headers["content-type"] = "application/x-www-form-urlencoded";
  EXPECT_FALSE(crossSiteProblem(form));
}

TEST(StrictJson, AKeyGivenTwiceAnywhereIsRefusedWithoutEcho) {
  EXPECT_TRUE(parseStrictJson(R"({"bsn":"1","limit":"2"})").ok());
  EXPECT_TRUE(parseStrictJson(R"({"a":{"x":1},"b":{"x":2}})").ok());  // one key per object
  for (const char* body : {R"({"bsn":"725763863","bsn":"162275869"})", R"({"a":{"k":1,"k":2}})",
                           R"([{"k":1},{"k":1,"k":1}])", R"({"bsn":"1","bsn":"2"})"}) {
    const auto parsed = parseStrictJson(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.problem().code, Reason::kInvalidQuery);
    EXPECT_EQ(parsed.problem().detail.find("725763863"), std::string::npos);
  }
  EXPECT_FALSE(parseStrictJson("{").ok());
  EXPECT_FALSE(parseStrictJson(R"({"a":1} x)").ok());
  EXPECT_FALSE(parseStrictJson("\xff").ok());
}

TEST(QueryString, ARecordNumberFitsWhatAStoreCanBind) {
  EXPECT_EQ(parseRecordNumber("0"), 0u);
  EXPECT_EQ(parseRecordNumber("9223372036854775807"), 9223372036854775807u);
  for (const char* text :
       {"9223372036854775808", "18446744073709551615", "18446744073709551616", "-1", "+1", " 1", "1 ", "", "0x10"}) {
    EXPECT_FALSE(parseRecordNumber(text)) << text;
  }
}

TEST(GatewayApi, WhoamiNamesThePartyOinAndRole) {
  GatewayConfig config;
  config.mode = GatewayMode::kTest;
  config.parties.push_back(Party{"gemeente-0363",
                                 *Oin::parse("00000099200000000363"),
                                 "Gemeente Amsterdam",
                                 PartyRole::kGemeente,
                                 "0363",
                                 {},
                                 {},
                                 {}});
  const MappingCatalogue catalogue;
  const Router router = makeExchangeRouter(config, catalogue);
  ApiRequest request = requestFor("GET", "/v1/whoami");
  request.caller = &config.parties[0];
  const auto outcome = router.dispatch(request);
  ASSERT_EQ(outcome.response.status, 200u);
  const auto json = boost::json::parse(outcome.response.body).as_object();
  EXPECT_EQ(json.at("id"), "gemeente-0363");
  EXPECT_EQ(json.at("oin"), "00000099200000000363");
  EXPECT_EQ(json.at("role"), "gemeente");
  EXPECT_EQ(json.at("cbs_code"), "0363");
}

TEST(GatewayApi, AuditListenerAdmitsPrivacyOfficersOnly) {
  EXPECT_TRUE(auditListenerAdmits(PartyRole::kPrivacyOfficer));
  EXPECT_FALSE(auditListenerAdmits(PartyRole::kGemeente));
  EXPECT_FALSE(auditListenerAdmits(PartyRole::kCoa));
}

}  // namespace
}  // namespace ketenpoort
