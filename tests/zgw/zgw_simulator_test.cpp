// Issue 28: the ZGW simulator behaves as Open Zaak where the OpenAPI files cannot say it
// (tokens, CRS headers, unique identificatie and links), and the requests of a whole
// delivery — zaak, rol, document, link — keep the official contract (tests/zgw/run).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/zgw/zgw_simulator.hpp"
#include "adapters/zgw/zgw_token.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/http/https_client.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
namespace json = boost::json;

const ZgwCredentials kGateway{"ketenpoort-0518", "test-secret-not-for-production"};
constexpr std::int64_t kNow = 1796601600;  // the simulator's clock: 2026-12-07T00:00:00Z
const std::string kZaaktype =
    "https://catalogi.gemeente.example/catalogi/api/v1/zaaktypen/0d3b1a8e-4f7c-4c55-9a43-1f3c7e2b9d10";

class ZgwSimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<DemoEnvironment>(createDemoEnvironment(dir_.path() / "gw", DemoPorts{0, 0, 0}));
    ZgwSimulatorOptions o;
    o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("gemeente-0518"), env_->keyOf("gemeente-0518")};
    o.clients = {{kGateway.client_id, kGateway.secret}};
    o.record_to = recording_;
    o.now_unix = [] { return kNow + 10; };
    zgw_ = std::make_unique<ZgwSimulator>(o);
    zgw_->start();
    client_ = std::make_unique<HttpsClient>(HttpsClientOptions{"127.0.0.1", zgw_->port(), env_->pkiDir() / "ca.pem",
                                                               env_->config.tls.certificate,
                                                               env_->config.tls.private_key, std::chrono::seconds(5)});
  }

  // One call as a client of the APIs makes it; the status and the body as JSON (null
  // when it is none).
  std::pair<unsigned, json::value> call(const std::string& method, const std::string& target, const json::object& body,
                                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Authorization", "Bearer " + token_);
    headers.emplace_back("Content-Type", "application/json");
    const auto answer = client_->request(method, target, headers, body.empty() ? "" : json::serialize(body));
    if (!std::holds_alternative<HttpsResponse>(answer)) return {0, nullptr};
    const auto& response = std::get<HttpsResponse>(answer);
    boost::system::error_code ec;
    json::value parsed = json::parse(response.body, ec);
    return {response.status, ec ? json::value(nullptr) : parsed};
  }
  static std::vector<std::pair<std::string, std::string>> crs() {
    return {{"Accept-Crs", "EPSG:4326"}, {"Content-Crs", "EPSG:4326"}};
  }
  static std::string code(const json::value& problem) {
    const auto* c = problem.is_object() ? problem.as_object().if_contains("code") : nullptr;
    return c != nullptr && c->is_string() ? std::string(c->as_string()) : std::string();
  }

  TempDir dir_;
  std::filesystem::path recording_ = dir_.path() / "requests.jsonl";
  std::unique_ptr<DemoEnvironment> env_;
  std::unique_ptr<ZgwSimulator> zgw_;
  std::unique_ptr<HttpsClient> client_;
  std::string token_ = zgwBearerToken(kGateway, kNow);
};

TEST_F(ZgwSimulatorTest, AWholeDeliveryKeepsTheOfficialContractAndIsHeldAsOneZaak) {
  const json::object zaak{{"identificatie", "KP-0193f2a1c9e0b5d7"},
                          {"bronorganisatie", "002220647"},
                          {"zaaktype", kZaaktype},
                          {"verantwoordelijkeOrganisatie", "002220647"},
                          {"startdatum", "2026-12-07"},
                          {"vertrouwelijkheidaanduiding", "vertrouwelijk"}};
  const auto [zaak_status, created] = call("POST", "/zaken/api/v1/zaken", zaak, crs());
  ASSERT_EQ(zaak_status, 201u) << json::serialize(created);
  const std::string zaak_url(created.at("url").as_string());
  EXPECT_THAT(zaak_url, HasSubstr("/zaken/api/v1/zaken/"));

  const auto [rol_status, rol] = call(
      "POST", "/zaken/api/v1/rollen",
      {{"zaak", zaak_url},
       {"betrokkeneType", "natuurlijk_persoon"},
       {"roltype", "https://catalogi.gemeente.example/catalogi/api/v1/roltypen/11111111-2222-4333-8444-555555555555"},
       {"roltoelichting", "inburgeringsplichtige"},
       {"betrokkeneIdentificatie", {{"inpBsn", "999993653"}}}});
  ASSERT_EQ(rol_status, 201u) << json::serialize(rol);
  const auto [document_status, document] = call(
      "POST", "/documenten/api/v1/enkelvoudiginformatieobjecten",
      {{"identificatie", "KP-0193f2a1c9e0b5d7-L"},
       {"bronorganisatie", "002220647"},
       {"creatiedatum", "2026-12-07"},
       {"titel", "Klantprofiel COA"},
       {"auteur", "ketenpoort"},
       {"taal", "nld"},
       {"informatieobjecttype",
        "https://catalogi.gemeente.example/catalogi/api/v1/informatieobjecttypen/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"},
       {"vertrouwelijkheidaanduiding", "vertrouwelijk"},
       {"bestandsnaam", "klantprofiel.html"},
       {"formaat", "text/html"},
       {"inhoud", base64Encode("<p>Klantprofiel</p>")}});
  ASSERT_EQ(document_status, 201u) << json::serialize(document);
  const std::string document_url(document.at("url").as_string());
  const json::object link{{"zaak", zaak_url}, {"informatieobject", document_url}};
  ASSERT_EQ(call("POST", "/zaken/api/v1/zaakinformatieobjecten", link).first, 201u);
  // Found again by identificatie and bronorganisatie, as a retry looks for it.
  const auto [found_status, found] =
      call("GET", "/zaken/api/v1/zaken?identificatie=KP-0193f2a1c9e0b5d7&bronorganisatie=002220647", {},
           {{"Accept-Crs", "EPSG:4326"}});
  ASSERT_EQ(found_status, 200u);
  EXPECT_EQ(found.at("count").as_int64(), 1);
  EXPECT_EQ(found.at("results").at(0).at("url").as_string(), zaak_url);

  // What the simulator holds: one zaak, its rol, its one document as it was sent.
  const auto zaken = zgw_->zaken();
  ASSERT_EQ(zaken.size(), 1u);
  ASSERT_EQ(zaken[0].rollen.size(), 1u);
  ASSERT_EQ(zaken[0].documents.size(), 1u);
  EXPECT_EQ(zaken[0].documents[0].content, "<p>Klantprofiel</p>");

  // Every request above, checked against the official Zaken and Documenten files.
  const auto build_dir = std::filesystem::path(KETENPOORT_BINARY).parent_path();
  const CommandResult contract = runCommand({(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/zgw/run").string(),
                                             build_dir.string(), recording_.string()},
                                            dir_.path());
  EXPECT_EQ(contract.exit_code, 0) << contract.out << contract.err;
  EXPECT_THAT(contract.out, HasSubstr("5 request(s) checked against the contract, 0 not as expected"));
}

TEST_F(ZgwSimulatorTest, RefusesWhatOpenZaakRefuses) {
  const json::object zaak{{"identificatie", "KP-1"},
                          {"bronorganisatie", "002220647"},
                          {"zaaktype", kZaaktype},
                          {"verantwoordelijkeOrganisatie", "002220647"},
                          {"startdatum", "2026-12-07"}};
  // The CRS headers: missing 412, another projection 406.
  EXPECT_EQ(call("POST", "/zaken/api/v1/zaken", zaak).first, 412u);
  EXPECT_EQ(
      call("POST", "/zaken/api/v1/zaken", zaak, {{"Accept-Crs", "EPSG:28992"}, {"Content-Crs", "EPSG:28992"}}).first,
      406u);
  // Tokens: expired, from a secret it does not know, none.
  token_ = zgwBearerToken(kGateway, kNow - 3601);
  EXPECT_EQ(call("POST", "/zaken/api/v1/zaken", zaak, crs()).first, 403u);
  token_ = zgwBearerToken({kGateway.client_id, "guessed"}, kNow);
  EXPECT_EQ(call("POST", "/zaken/api/v1/zaken", zaak, crs()).first, 403u);
  token_ = zgwBearerToken(kGateway, kNow);
  EXPECT_EQ(zgw_->zaakCount(), 0u);

  // identificatie once per bronorganisatie; a link once per zaak and document.
  const auto [first, created] = call("POST", "/zaken/api/v1/zaken", zaak, crs());
  ASSERT_EQ(first, 201u);
  const auto [again, problem] = call("POST", "/zaken/api/v1/zaken", zaak, crs());
  EXPECT_EQ(again, 400u);
  EXPECT_EQ(code(problem), "identificatie-niet-uniek");
  EXPECT_EQ(problem.at("invalidParams").at(0).at("code").as_string(), "identificatie-niet-uniek");
  // A rol for a zaak it does not hold.
  const auto [orphan, orphan_problem] = call("POST", "/zaken/api/v1/rollen",
                                             {{"zaak", "https://127.0.0.1:1/zaken/api/v1/zaken/none"},
                                              {"betrokkeneType", "natuurlijk_persoon"},
                                              {"roltype", kZaaktype}});
  EXPECT_EQ(orphan, 400u);
  EXPECT_EQ(code(orphan_problem), "bad-url");
  EXPECT_EQ(zgw_->zaakCount(), 1u);
  EXPECT_EQ(zgw_->rolCount(), 0u);
  EXPECT_EQ(zgw_->refusals().at("not_authenticated"), 2u);
}

TEST_F(ZgwSimulatorTest, FailsAShareOfCallsBeforeOrAfterCarryingThemOut) {
  ZgwSimulatorOptions o;
  o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("gemeente-0518"), env_->keyOf("gemeente-0518")};
  o.clients = {{kGateway.client_id, kGateway.secret}};
  o.now_unix = [] { return kNow; };
  o.fail_after = 1.0;  // every call carried out, and its answer lost
  zgw_ = std::make_unique<ZgwSimulator>(o);
  zgw_->start();
  client_ = std::make_unique<HttpsClient>(HttpsClientOptions{"127.0.0.1", zgw_->port(), env_->pkiDir() / "ca.pem",
                                                             env_->config.tls.certificate, env_->config.tls.private_key,
                                                             std::chrono::seconds(5)});
  const json::object zaak{{"identificatie", "KP-2"},
                          {"bronorganisatie", "002220647"},
                          {"zaaktype", kZaaktype},
                          {"verantwoordelijkeOrganisatie", "002220647"},
                          {"startdatum", "2026-12-07"}};
  EXPECT_EQ(call("POST", "/zaken/api/v1/zaken", zaak, crs()).first, 500u);
  EXPECT_EQ(zgw_->zaakCount(), 1u);  // there all the same: a retry must find it, not make another
  EXPECT_EQ(zgw_->failedOnPurpose(), 1u);
}

}  // namespace
}  // namespace ketenpoort::testing
