// Issue 28: messages delivered into a gemeente's case system through the ZGW APIs. A
// klantprofiel, a nareisprofiel and a toeslagen bridging signal each become a zaak with
// the person as rol and two linked documents (readable, JSON); the withheld fields are
// named in the readable document only by label and reason; every request the channel made
// keeps the official Zaken and Documenten API files (tests/zgw/run).
#include <boost/json/parse.hpp>

#include "adapters/zgw/zgw_simulator.hpp"
#include "adapters/zgw/zgw_token.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/runtime/config_check.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/integration/chain_fixture.hpp"
#include "tests/support/gateway_process.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace json = boost::json;

constexpr const char* kClientId = "ketenpoort-0363";
constexpr const char* kRsin = "002220647";
const char* const kCatalogi = "https://catalogi.gemeente.example/catalogi/api/v1/";

std::string textOf(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The contract check of every recorded request against the vendored OpenAPI files.
void expectEveryRequestKeepsTheContract(const std::filesystem::path& recorded, const std::filesystem::path& dir) {
  const std::filesystem::path build = std::filesystem::path(KETENPOORT_BINARY).parent_path();
  const CommandResult checked =
      runCommand({std::string(KETENPOORT_SOURCE_DIR) + "/tests/zgw/run", build.string(), recorded.string()}, dir);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
}

class ZgwDeliveryTest : public ChainFixture {
 protected:
  void beforeStart() override {
    ZgwSimulatorOptions o;
    o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("gemeente-0363"), env_->keyOf("gemeente-0363")};
    o.clients = {{kClientId, secret_}};
    o.record_to = recording_;
    o.interrupt = [this](const ApiRequest&) { return interrupt_ && interrupt_(); };
    zgw_ = std::make_unique<ZgwSimulator>(o);
    zgw_->start();
    for (Party& p : config_.parties) {
      if (p.id != "gemeente-0363") continue;
      for (const char* flow : {"coa.klantprofiel", "coa.nareisprofiel", "toeslagen.status"}) {
        p.zgw.push_back({flow, zgw_->zakenApi(), zgw_->documentenApi(),
                         std::string(kCatalogi) + "zaaktypen/0d3b1a8e-4f7c-4c55-9a43-1f3c7e2b9d10",
                         std::string(kCatalogi) + "informatieobjecttypen/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                         std::string(kCatalogi) + "roltypen/11111111-2222-4333-8444-555555555555", kRsin, kClientId,
                         dir_.path() / "zgw-secret", secret_});
      }
    }
  }
  void TearDown() override {
    ChainFixture::TearDown();
    if (zgw_) zgw_->stop();
  }

  // The transaction id an accepted push was given (its answer says it).
  static std::string transactionOf(const HttpsResponse& r) {
    boost::system::error_code ec;
    const json::value answer = json::parse(r.body, ec);
    return ec || !answer.is_object() ? std::string() : textOf(answer.as_object(), "transactie_id");
  }

  HttpsResponse pushProfile(const SyntheticProfile& profile) {
    return call("coa", "POST", "/v1/berichten/" + profile.flow, "regie-inburgering", profile.xml,
                {{"Content-Type", "application/xml"}});
  }
  // A synthetic profile of `flow` for a person in Amsterdam (with a medical section when asked).
  static SyntheticProfile profileOf(const std::string& flow, bool medical, std::uint64_t seed) {
    SyntheticCoa coa(seed, {"0363"});
    for (;;) {
      SyntheticProfile p = coa.next();
      if (p.flow == flow && p.has_medical == medical) return p;
    }
  }

  // The zaak the simulator holds for a transaction, by the identificatie the channel gives it.
  std::optional<ZgwSimulator::Zaak> zaakOf(const std::string& transaction_id) const {
    std::string identificatie = "KTP-";
    for (const char c : transaction_id) {
      if (c != '-') identificatie += c;
    }
    for (auto& z : zgw_->zaken()) {
      if (textOf(z.zaak, "identificatie") == identificatie) return z;
    }
    return std::nullopt;
  }

  std::string secret_ = "zgw-test-secret-" + newUuidV7();
  std::filesystem::path recording_ = dir_.path() / "zgw-requests.jsonl";
  std::function<bool()> interrupt_;
  std::unique_ptr<ZgwSimulator> zgw_;
};

TEST_F(ZgwDeliveryTest, KlantprofielNareisprofielAndBridgingSignalEachBecomeAZaakWithARolAndTwoDocuments) {
  const SyntheticProfile klant = profileOf("coa.klantprofiel", /*medical=*/true, 11);
  const SyntheticProfile nareis = profileOf("coa.nareisprofiel", /*medical=*/false, 12);
  HttpsResponse r = pushProfile(klant);
  ASSERT_EQ(r.status, 202u) << r.body;
  const std::string klant_id = transactionOf(r);
  r = pushProfile(nareis);
  ASSERT_EQ(r.status, 202u) << r.body;
  const std::string nareis_id = transactionOf(r);
  r = call("toeslagen", "POST", "/v1/berichten/toeslagen.status", "ontzorgen",
           toeslagenStatus(kCandidate, "2025-03-01", 43));
  ASSERT_EQ(r.status, 202u) << r.body;
  const std::string signal_id = transactionOf(r);
  ASSERT_TRUE(outboxSettled());
  EXPECT_TRUE(received("gemeente-0363").empty()) << "a flow into the case system never goes to the endpoint";

  EXPECT_EQ(zgw_->zaakCount(), 3u);
  EXPECT_EQ(zgw_->rolCount(), 3u);
  EXPECT_EQ(zgw_->documentCount(), 6u);
  EXPECT_EQ(zgw_->linkCount(), 6u);
  const struct {
    std::string id;
    std::string bsn;
    std::string title;
  } expected[] = {{klant_id, klant.bsn, "Klantprofiel van COA"},
                  {nareis_id, nareis.bsn, "Nareisprofiel van COA"},
                  {signal_id, kCandidate, "Stand van de toeslagen (Belastingdienst)"}};
  for (const auto& e : expected) {
    SCOPED_TRACE(e.title);
    const auto zaak = zaakOf(e.id);
    ASSERT_TRUE(zaak) << "no zaak with the transaction's identificatie";
    EXPECT_EQ(textOf(zaak->zaak, "bronorganisatie"), kRsin);
    EXPECT_EQ(textOf(zaak->zaak, "vertrouwelijkheidaanduiding"), "vertrouwelijk");
    EXPECT_THAT(textOf(zaak->zaak, "identificatie"), Not(HasSubstr(e.bsn)));
    ASSERT_EQ(zaak->rollen.size(), 1u);
    EXPECT_EQ(textOf(zaak->rollen[0], "betrokkeneType"), "natuurlijk_persoon");
    EXPECT_EQ(textOf(zaak->rollen[0].at("betrokkeneIdentificatie").as_object(), "inpBsn"), e.bsn);
    ASSERT_EQ(zaak->documents.size(), 2u);
    EXPECT_EQ(textOf(zaak->documents[0].metadata, "formaat"), "text/html");
    EXPECT_THAT(zaak->documents[0].content, HasSubstr("<h1>" + e.title + "</h1>"));
    EXPECT_EQ(textOf(zaak->documents[1].metadata, "formaat"), "application/json");
    const json::value machine = json::parse(zaak->documents[1].content);
    EXPECT_EQ(machine.at("transactie_id").as_string(), e.id);
    // The outbox entry names where the message went.
    const auto entry = server_->outbox().find(e.id);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->state, DeliveryState::kDelivered);
    EXPECT_THAT(entry->channel_state, HasSubstr(textOf(zaak->zaak, "url")));
  }

  // What the consulent reads of the klantprofiel: the medical fields by name and reason,
  // never their values.
  const auto klant_zaak = zaakOf(klant_id);
  const std::string& page = klant_zaak->documents[0].content;
  EXPECT_THAT(page, HasSubstr("Niet doorgegeven"));
  EXPECT_THAT(page, HasSubstr("<th scope=\"row\">Diagnosen"));
  EXPECT_THAT(page, HasSubstr("<th scope=\"row\">Huisarts"));
  EXPECT_THAT(page, HasSubstr("bijzonder persoonsgegeven"));
  const std::size_t d = klant.xml.find("<diagnose>") + 10;
  const std::string diagnosis = klant.xml.substr(d, klant.xml.find("</diagnose>") - d);
  ASSERT_FALSE(diagnosis.empty());
  EXPECT_THAT(page, Not(HasSubstr(diagnosis)));
  EXPECT_THAT(page, Not(HasSubstr("Huisartsenpraktijk")));
  EXPECT_THAT(klant_zaak->documents[1].content, Not(HasSubstr(diagnosis)));
  // The privacy officer sees on the exchange's page where it went in the case system.
  const auto logged = lastRecord("coa.klantprofiel", "gemeente-0363");
  ASSERT_TRUE(logged);
  TestTlsClient officer(server_->auditPort(), asParty("fg-0363"));
  const auto shown = officer.request("GET", "/console/uitwisselingen/" + std::to_string(logged->sequence));
  ASSERT_TRUE(shown) << officer.lastError();
  EXPECT_EQ(shown->status, 200u);
  EXPECT_THAT(shown->body, HasSubstr("In het zaaksysteem van de gemeente"));
  // The hash-chained record names the zaak, fixed when the message was queued.
  const std::string zaak_identificatie = textOf(klant_zaak->zaak, "identificatie");
  EXPECT_EQ(logged->record.delivered_into, "zgw " + zaak_identificatie);
  EXPECT_THAT(shown->body, HasSubstr("Naar het zaaksysteem</dt><dd>zaak <code>" + zaak_identificatie));
  EXPECT_THAT(shown->body, HasSubstr(textOf(klant_zaak->zaak, "url")));
  EXPECT_THAT(shown->body, HasSubstr(textOf(klant_zaak->documents[0].metadata, "url")));
  // The simulator refused nothing: no call lacked a header or carried a stale token.
  EXPECT_TRUE(zgw_->refusals().empty());

  expectEveryRequestKeepsTheContract(recording_, dir_.path());
  // The records naming the zaken verify as part of the chain.
  server_->drain();
  server_->wait();
  server_.reset();
  const StoreLogCheck check = GatewayStore(config_).verifyLog();
  EXPECT_TRUE(check.intact) << check.problem;
}

TEST_F(ZgwDeliveryTest, ACaseSystemThatRefusesTheTokenKeepsTheMessageWaitingAndSaysWhy) {
  // The gemeente's Autorisaties knows another secret: every call is 403, nothing is made.
  for (Party& p : config_.parties) {
    for (ZgwTarget& t : p.zgw) t.secret = "not-the-secret-the-case-system-knows";
  }
  server_->drain();
  server_->wait();
  server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_), clock_);
  server_->start(false);
  const HttpsResponse r = pushProfile(profileOf("coa.klantprofiel", false, 13));
  ASSERT_EQ(r.status, 202u) << r.body;
  const std::string id = transactionOf(r);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(waitUntil([&] { return server_->outbox().find(id).value_or(OutboxEntry{}).attempts >= 2; }));
  const auto entry = server_->outbox().find(id);
  EXPECT_EQ(entry->state, DeliveryState::kPending);
  EXPECT_EQ(entry->last_error, "zgw-zaak-http-403");
  EXPECT_EQ(zgw_->zaakCount(), 0u);
  EXPECT_GE(zgw_->refusals()["not_authenticated"], 2u);
}

// check-config and every reload: a <zgw> names a flow the gateway delivers to a gemeente.
TEST(ZgwConfiguration, ACaseSystemForAFlowTheMappingsLackOrAQueryIsAProblem) {
  TempDir dir;
  DemoPorts ports{0, 0, 0};
  ports.zgw = 1;  // the demo's case system for gemeente-0518 (nothing listens: only checked)
  DemoEnvironment env = createDemoEnvironment(dir.path() / "gw", ports);
  ASSERT_TRUE(checkConfiguration(env.config_file).ok());
  for (Party& p : env.config.parties) {
    if (p.id != "gemeente-0518") continue;
    p.zgw[0].flow = "coa.klantprofel";
    p.zgw[1].flow = "duo.inburgeringsstatus";
  }
  std::ofstream(env.config_file, std::ios::trunc) << renderGatewayConfigXml(env.config, env.workdir);
  std::vector<std::string> found;
  for (const auto& problem : checkConfiguration(env.config_file).problems) found.push_back(problem.message);
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("<zgw flow=\"coa.klantprofel\"> names no flow of the mappings")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("flow \"duo.inburgeringsstatus\" is not one the gateway delivers")));
}

}  // namespace
}  // namespace ketenpoort::testing
