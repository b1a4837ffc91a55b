#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "gateway/api/gateway_api.hpp"
#include "gateway/api/router.hpp"

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
  router.add("POST", "/v1/berichten/{flow}",
             [](const ApiRequest& r) { return ApiResponse{202, "text/plain", r.path, {}}; });
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
  EXPECT_EQ(json.at("instance"), "/nowhere");
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

TEST(GatewayApi, WhoamiNamesThePartyOinAndRole) {
  GatewayConfig config;
  config.mode = GatewayMode::kTest;
  config.parties.push_back(Party{"gemeente-0363", *Oin::parse("00000099200000000363"),
                                 "Gemeente Amsterdam", PartyRole::kGemeente, "0363", {}, {}});
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
