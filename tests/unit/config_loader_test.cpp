#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/config/config_loader.hpp"
#include "gateway/config/config_writer.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ketenpoort {
namespace {

using ::testing::HasSubstr;

constexpr const char* kValid = R"(<?xml version="1.0"?>
<ketenpoort mode="test">
  <listeners>
    <exchange address="0.0.0.0" port="8443"/>
    <audit address="0.0.0.0" port="8444"/>
    <ops address="127.0.0.1" port="9090"/>
  </listeners>
  <tls ca-bundle="pki/ca.pem" certificate="pki/gateway.pem" private-key="/etc/k/gateway.key"/>
  <storage path="data/ketenpoort.db"/>
  <limits threads="4" max-connections="100" max-body-bytes="2048" idle-timeout-ms="5000"/>
  <parties>
    <party id="coa" oin="00000099100000000001" name="COA" role="coa"/>
    <party id="gemeente-0363" oin="00000099200000000363" name="Amsterdam" role="gemeente"
           cbs-code="0363">
      <endpoint flow="*" url="https://gemeente.example/ketenpoort"/>
    </party>
    <party id="fg-0363" oin="00000099400000000363" name="FG" role="privacy-officer"
           organisation="gemeente-0363"/>
  </parties>
  <mappings dir="../mappings"/>
</ketenpoort>
)";

ConfigLoadResult parse(const std::string& xml) { return parseGatewayConfig(xml, "test.xml", "/srv/ketenpoort"); }

// Replaces the first occurrence of `from` in the valid config.
std::string validWith(const std::string& from, const std::string& to) {
  std::string xml = kValid;
  const auto at = xml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  xml.replace(at, from.size(), to);
  return xml;
}

std::vector<std::string> messages(const ConfigLoadResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.problems) out.push_back(p.str());
  return out;
}

TEST(ConfigLoader, LoadsAValidConfig) {
  const auto result = parse(kValid);
  ASSERT_TRUE(result.config) << ::testing::PrintToString(messages(result));
  const GatewayConfig& c = *result.config;
  EXPECT_EQ(c.mode, GatewayMode::kTest);
  EXPECT_EQ(c.exchange.port, 8443);
  EXPECT_EQ(c.ops.address, "127.0.0.1");
  EXPECT_EQ(c.tls.ca_bundle, "/srv/ketenpoort/pki/ca.pem");
  EXPECT_EQ(c.tls.private_key, "/etc/k/gateway.key");
  EXPECT_EQ(c.storage_path, "/srv/ketenpoort/data/ketenpoort.db");
  EXPECT_EQ(c.mappings_dir, "/srv/mappings");
  EXPECT_EQ(c.limits.threads, 4u);
  EXPECT_EQ(c.limits.max_connections, 100u);
  EXPECT_EQ(c.limits.max_body_bytes, 2048u);
  EXPECT_EQ(c.limits.idle_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(c.limits.header_timeout, std::chrono::milliseconds(10000));  // default
  ASSERT_EQ(c.parties.size(), 3u);
  const Party* amsterdam = c.findPartyById("gemeente-0363");
  ASSERT_NE(amsterdam, nullptr);
  EXPECT_EQ(amsterdam->role, PartyRole::kGemeente);
  EXPECT_EQ(amsterdam->cbs_code, "0363");
  ASSERT_EQ(amsterdam->endpoints.size(), 1u);
  EXPECT_EQ(amsterdam->endpoints[0].url, "https://gemeente.example/ketenpoort");
  EXPECT_EQ(c.findPartyByOin(*Oin::parse("00000099400000000363"))->organisation, "gemeente-0363");
}

TEST(ConfigLoader, DefaultsToProductionMode) {
  auto xml = validWith(R"(<ketenpoort mode="test">)", "<ketenpoort>");
  // Test OINs are then refused, so use production OINs.
  for (auto* oin : {"00000099100000000001", "00000099200000000363", "00000099400000000363"}) {
    xml.replace(xml.find(oin), 8, "00000001");
  }
  const auto result = parse(xml);
  ASSERT_TRUE(result.config) << ::testing::PrintToString(messages(result));
  EXPECT_EQ(result.config->mode, GatewayMode::kProduction);
}

TEST(ConfigLoader, APostgresqlStoreNamesItsDatabaseNodeAndKeys) {
  const auto result =
      parse(validWith(R"(<storage path="data/ketenpoort.db"/>)",
                      R"(<storage backend="postgresql" dsn="host=db dbname=k" node-id="node-a" key-dir="keys"/>)"));
  ASSERT_TRUE(result.config) << ::testing::PrintToString(messages(result));
  const GatewayConfig& c = *result.config;
  EXPECT_EQ(c.storage_backend, StorageBackend::kPostgresql);
  EXPECT_EQ(c.storage_dsn, "host=db dbname=k");
  EXPECT_EQ(c.storage_node_id, "node-a");
  EXPECT_EQ(c.keyDirectory(), "/srv/ketenpoort/keys");
  const std::string xml = renderGatewayConfigXml(c, "/srv/ketenpoort");
  const auto again = parse(xml);
  ASSERT_TRUE(again.config) << xml;
  EXPECT_EQ(again.config->storage_node_id, "node-a");
  EXPECT_EQ(again.config->keyDirectory(), "/srv/ketenpoort/keys");
}

TEST(ConfigLoader, AStoreBackendOrNodeIdOutsideWhatIsKnownIsAProblem) {
  EXPECT_THAT(messages(parse(validWith(R"(<storage path)", R"(<storage backend="mysql" path)"))),
              ::testing::Contains(::testing::HasSubstr("storage/@backend must be sqlite or postgresql")));
  EXPECT_THAT(messages(parse(validWith(R"(<storage path="data/ketenpoort.db"/>)",
                                       R"(<storage backend="postgresql" dsn="x" node-id="a b'" key-dir="k"/>)"))),
              ::testing::Contains(::testing::HasSubstr("storage/@node-id must be")));
  EXPECT_THAT(messages(parse(validWith(R"(<storage path="data/ketenpoort.db"/>)",
                                       R"(<storage backend="postgresql" dsn="x" key-dir="k"/>)"))),
              ::testing::Contains(::testing::HasSubstr("node-id")));
}

TEST(ConfigLoader, UnknownElementIsAProblemWithItsLine) {
  const auto result = parse(validWith("  <storage", "  <cache size=\"1\"/>\n  <storage"));
  EXPECT_FALSE(result.config);
  EXPECT_THAT(messages(result), ::testing::Contains("test.xml:9: unknown element <cache> in <ketenpoort>"));
}

TEST(ConfigLoader, UnknownAttributeIsAProblemWithItsLine) {
  const auto result = parse(validWith(R"(<storage path)", R"(<storage journal="wal" path)"));
  EXPECT_THAT(messages(result), ::testing::Contains("test.xml:9: unknown attribute \"journal\" on <storage>"));
}

TEST(ConfigLoader, MissingRequiredValuesAreProblems) {
  const auto result = parse(validWith(R"( name="COA")", ""));
  EXPECT_THAT(messages(result), ::testing::Contains("test.xml:12: <party> lacks required attribute \"name\""));
  const auto empty = parse(validWith(R"(name="COA")", R"(name="")"));
  EXPECT_THAT(messages(empty), ::testing::Contains(HasSubstr("must not be empty")));
  const auto no_tls = parse(
      validWith(R"(<tls ca-bundle="pki/ca.pem" certificate="pki/gateway.pem" private-key="/etc/k/gateway.key"/>)", ""));
  EXPECT_THAT(messages(no_tls), ::testing::Contains(HasSubstr("missing required element <tls>")));
}

TEST(ConfigLoader, DuplicateOinIsAProblemNamingTheFirst) {
  const auto result = parse(validWith("00000099200000000363", "00000099100000000001"));
  EXPECT_THAT(messages(result),
              ::testing::Contains(HasSubstr("duplicate OIN 00000099100000000001 (first at line 12)")));
}

TEST(ConfigLoader, DuplicatePartyIdIsAProblem) {
  const auto result = parse(validWith(R"(id="fg-0363")", R"(id="coa")"));
  EXPECT_THAT(messages(result), ::testing::Contains(HasSubstr("duplicate party id \"coa\"")));
}

TEST(ConfigLoader, TestOinsNeedTestMode) {
  const auto result = parse(validWith(R"(mode="test")", R"(mode="production")"));
  EXPECT_FALSE(result.config);
  EXPECT_THAT(messages(result), ::testing::Contains(HasSubstr("has a test OIN")));
}

TEST(ConfigLoader, MalformedValuesAreProblems) {
  EXPECT_THAT(messages(parse(validWith(R"(port="8443")", R"(port="84x3")"))),
              ::testing::Contains(HasSubstr("\"port\" must be a whole number from 0 to 65535")));
  EXPECT_THAT(messages(parse(validWith(R"(port="8443")", R"(port="70000")"))),
              ::testing::Contains(HasSubstr("\"port\" must be a whole number")));
  EXPECT_THAT(messages(parse(validWith("00000099100000000001", "0000009910000000001"))),
              ::testing::Contains(HasSubstr("oin must be exactly 20 digits")));
  EXPECT_THAT(messages(parse(validWith(R"(role="coa")", R"(role="bank")"))),
              ::testing::Contains(HasSubstr("unknown role \"bank\"")));
  EXPECT_THAT(messages(parse(validWith(R"(cbs-code="0363")", R"(cbs-code="363")"))),
              ::testing::Contains(HasSubstr("cbs-code must be 4 digits")));
  EXPECT_THAT(messages(parse(validWith(R"(mode="test")", R"(mode="staging")"))),
              ::testing::Contains(HasSubstr("mode must be")));
  EXPECT_THAT(messages(parse(validWith(R"(max-connections="100")", R"(max-connections="0")"))),
              ::testing::Contains(HasSubstr("\"max-connections\" must be a whole number from 1")));
  EXPECT_THAT(messages(parse(validWith("https://gemeente.example", "http://gemeente.example"))),
              ::testing::Contains(HasSubstr("endpoint url must be https://")));
  for (const char* url : {"https://", "https://gemeente.example:0/berichten", "https://user:pw@gemeente.example/",
                          "https://gemeente.example:99999/"}) {
    EXPECT_THAT(messages(parse(validWith("https://gemeente.example", url))),
                ::testing::Contains(HasSubstr("endpoint url must be https://")))
        << url;
  }
}

TEST(ConfigLoader, RoleSpecificAttributesAreChecked) {
  EXPECT_THAT(messages(parse(validWith(R"(cbs-code="0363")", ""))),
              ::testing::Contains(HasSubstr("role gemeente needs a cbs-code")));
  EXPECT_THAT(messages(parse(validWith(R"(role="coa")", R"(role="coa" cbs-code="0001")"))),
              ::testing::Contains(HasSubstr("only a party with role gemeente has a cbs-code")));
  EXPECT_THAT(messages(parse(validWith(R"(organisation="gemeente-0363")", R"(organisation="nobody")"))),
              ::testing::Contains(HasSubstr("organisation \"nobody\" is not a configured party")));
}

TEST(ConfigLoader, AgreementsAreReadAndChecked) {
  const std::string agreement =
      R"(<agreements><agreement id="vwo-1" party="coa" purpose="elip" gemeente="gemeente-0363" valid-from="2025-01-01" valid-until="2025-12-31" document="dms://1"/></agreements>
  <mappings)";
  const auto ok = parse(validWith("<mappings", agreement));
  ASSERT_TRUE(ok.config) << ::testing::PrintToString(messages(ok));
  ASSERT_EQ(ok.config->agreements.size(), 1u);
  EXPECT_EQ(ok.config->agreements[0].gemeente_id, "gemeente-0363");
  EXPECT_EQ(formatIsoDate(ok.config->agreements[0].valid_until), "2025-12-31");

  const auto problemsWith = [&](const std::string& from, const std::string& to) {
    std::string a = agreement;
    a.replace(a.find(from), from.size(), to);
    return messages(parse(validWith("<mappings", a)));
  };
  EXPECT_THAT(problemsWith(R"(gemeente="gemeente-0363")", R"(gemeente="coa")"),
              ::testing::Contains(HasSubstr("\"coa\" is not a configured gemeente")));
  EXPECT_THAT(problemsWith(R"(party="coa")", R"(party="school-x")"),
              ::testing::Contains(HasSubstr("party \"school-x\" is not configured")));
  EXPECT_THAT(problemsWith("2025-12-31", "2024-12-31"),
              ::testing::Contains(HasSubstr("valid-until lies before valid-from")));
  EXPECT_THAT(problemsWith("2025-01-01", "1-1-2025"), ::testing::Contains(HasSubstr("valid-from must be a date")));
  EXPECT_THAT(problemsWith(R"( document="dms://1")", ""),
              ::testing::Contains(HasSubstr("lacks required attribute \"document\"")));
}

TEST(ConfigLoader, OpsListenerMustStayOnLoopback) {
  const auto result = parse(validWith(R"(<ops address="127.0.0.1")", R"(<ops address="0.0.0.0")"));
  EXPECT_THAT(messages(result), ::testing::Contains(HasSubstr("must bind a loopback address")));
}

TEST(ConfigLoader, ReportsEveryProblemNotJustTheFirst) {
  auto xml = validWith(R"(role="coa")", R"(role="bank")");
  xml.replace(xml.find(R"(port="9090")"), 11, R"(port="-1")");
  xml.replace(xml.find("<storage"), 8, R"(<storage x="1")");
  const auto result = parse(xml);
  EXPECT_EQ(result.problems.size(), 3u) << ::testing::PrintToString(messages(result));
  // Sorted by line.
  EXPECT_LE(result.problems[0].line, result.problems[1].line);
  EXPECT_LE(result.problems[1].line, result.problems[2].line);
}

TEST(ConfigLoader, NotWellFormedXmlGivesTheLine) {
  const auto result = parse("<ketenpoort>\n  <parties>\n</ketenpoort>\n");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].line, 3);
  EXPECT_THAT(result.problems[0].message, HasSubstr("not well-formed XML"));
}

TEST(ConfigLoader, DoctypeIsRefused) {
  const auto result = parse(std::string("<!DOCTYPE ketenpoort [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n") +
                            std::string(kValid).substr(std::string(kValid).find("<ketenpoort")));
  EXPECT_FALSE(result.config);
}

// A second root element is never read, so it is refused, not ignored: a configuration
// pasted twice, a half-edited file.
TEST(ConfigLoader, ASecondRootElementIsAProblem) {
  for (const char* trailing : {"<trailing/>", "<ketenpoort mode=\"test\"/>"}) {
    const auto result = parse(std::string(kValid) + trailing);
    EXPECT_FALSE(result.config) << trailing;
    ASSERT_FALSE(result.problems.empty()) << trailing;
    EXPECT_THAT(result.problems.back().message, HasSubstr("a second root element"));
  }
}

TEST(ConfigLoader, MissingFileIsAProblem) {
  const auto result = loadGatewayConfig("/nonexistent/ketenpoort.xml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].str(), "/nonexistent/ketenpoort.xml:0: cannot open config file");
}

TEST(ConfigLoader, SignalThresholdsAreReadAndChecked) {
  const auto defaults = parse(kValid);
  ASSERT_TRUE(defaults.config);
  EXPECT_EQ(defaults.config->signals.elip_loan_basis_points, 7500);
  EXPECT_EQ(defaults.config->signals.elip_months_left, 6);
  const auto set = parse(validWith("<parties>", R"(<signals elip-loan-percent="74.5" elip-months-left="off"
      attendance-norm-percent="85" bridging-after-days="56"/>
  <parties>)"));
  ASSERT_TRUE(set.config) << ::testing::PrintToString(messages(set));
  EXPECT_EQ(set.config->signals.elip_loan_basis_points, 7450);
  EXPECT_EQ(set.config->signals.elip_months_left, std::nullopt);
  EXPECT_EQ(set.config->signals.attendance_norm_basis_points, 8500);
  EXPECT_EQ(set.config->signals.bridging_after_days, 56);
  for (const char* bad : {"101", "75.123", "7a", "-5", "75."}) {
    EXPECT_THAT(messages(parse(
                    validWith("<parties>", std::string(R"(<signals elip-loan-percent=")") + bad + R"("/><parties>)"))),
                ::testing::Contains(HasSubstr("elip-loan-percent must be a percentage")))
        << bad;
  }
  EXPECT_THAT(messages(parse(validWith("<parties>", R"(<signals elip-months-left="never"/><parties>)"))),
              ::testing::Contains(HasSubstr("\"elip-months-left\" must be a whole number")));
}

TEST(ConfigWriter, RenderedConfigLoadsBackToTheSameValues) {
  const auto original = parse(kValid);
  ASSERT_TRUE(original.config);
  const std::string xml = renderGatewayConfigXml(*original.config, "/srv/ketenpoort");
  const auto again = parse(xml);
  ASSERT_TRUE(again.config) << ::testing::PrintToString(messages(again)) << xml;
  const auto& a = *original.config;
  const auto& b = *again.config;
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.exchange.port, b.exchange.port);
  EXPECT_EQ(a.tls.ca_bundle, b.tls.ca_bundle);
  EXPECT_EQ(a.tls.private_key, b.tls.private_key);
  EXPECT_EQ(a.storage_path, b.storage_path);
  EXPECT_EQ(a.mappings_dir, b.mappings_dir);
  EXPECT_EQ(a.limits.idle_timeout, b.limits.idle_timeout);
  EXPECT_EQ(a.limits.max_body_bytes, b.limits.max_body_bytes);
  ASSERT_EQ(a.parties.size(), b.parties.size());
  for (std::size_t i = 0; i < a.parties.size(); ++i) {
    EXPECT_EQ(a.parties[i].id, b.parties[i].id);
    EXPECT_EQ(a.parties[i].oin, b.parties[i].oin);
    EXPECT_EQ(a.parties[i].role, b.parties[i].role);
    EXPECT_EQ(a.parties[i].cbs_code, b.parties[i].cbs_code);
    EXPECT_EQ(a.parties[i].organisation, b.parties[i].organisation);
    EXPECT_EQ(a.parties[i].endpoints.size(), b.parties[i].endpoints.size());
  }
  EXPECT_NE(xml.find(R"(ca-bundle="pki/ca.pem")"), std::string::npos);  // stays relative
  EXPECT_EQ(a.signals.elip_loan_basis_points, b.signals.elip_loan_basis_points);
  EXPECT_EQ(a.signals.elip_months_left, b.signals.elip_months_left);
  EXPECT_EQ(a.signals.attendance_norm_basis_points, b.signals.attendance_norm_basis_points);
  EXPECT_EQ(a.signals.bridging_after_days, b.signals.bridging_after_days);
  GatewayConfig removed = a;
  removed.signals.elip_months_left = std::nullopt;
  removed.signals.attendance_norm_basis_points = 7950;
  const auto back = parse(renderGatewayConfigXml(removed, "/srv/ketenpoort"));
  ASSERT_TRUE(back.config);
  EXPECT_EQ(back.config->signals.elip_months_left, std::nullopt);
  EXPECT_EQ(back.config->signals.attendance_norm_basis_points, 7950);
}

}  // namespace
}  // namespace ketenpoort

namespace ketenpoort {
namespace {

TEST(HttpsUrl, ReadsHostPortAndTargetAndNothingElse) {
  const auto plain = parseHttpsUrl("https://gemeente.example");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "gemeente.example");
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->target, "/");
  const auto full = parseHttpsUrl("https://[::1]:8443/zaken/api/v1/zaken?status=open");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, 8443);
  EXPECT_EQ(full->target, "/zaken/api/v1/zaken?status=open");
  for (const char* refused :
       {"http://gemeente.example/", "https://", "https:///berichten", "https://a@gemeente.example/",
        "https://gemeente.example:0/", "https://gemeente.example:65536/", "https://gemeente.example:99999/",
        "gemeente.example/x", "https://gemeente.example/a b"}) {
    EXPECT_FALSE(parseHttpsUrl(refused)) << refused;
  }
}

TEST(WebUrl, TakesPlainHttpForPublicDocumentsAndNothingElse) {
  const auto crl = parseWebUrl("http://cert.pkioverheid.nl/PrivateServicesCA-G1.crl");
  ASSERT_TRUE(crl);
  EXPECT_FALSE(crl->tls);
  EXPECT_EQ(crl->address.host, "cert.pkioverheid.nl");
  EXPECT_EQ(crl->address.port, 80);
  EXPECT_EQ(crl->address.target, "/PrivateServicesCA-G1.crl");
  const auto secure = parseWebUrl("https://crl.example:8443/ca.crl");
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->address.port, 8443);
  for (const char* refused : {"ftp://crl.example/ca.crl", "file:///etc/ketenpoort/tls/ca.crl",
                              "http://u:p@crl.example/", "http://crl.example:70000/", "//crl.example/ca.crl"}) {
    EXPECT_FALSE(parseWebUrl(refused)) << refused;
  }
}

// Issue 27: tls/crl-source, a CA's CRL fetched into the CRL directory.
TEST(ConfigLoader, CrlSourcesAreReadAndChecked) {
  const std::string tls =
      R"(<tls ca-bundle="pki/ca.pem" certificate="pki/gateway.pem" private-key="/etc/k/gateway.key"/>)";
  const auto good = parse(validWith(tls, R"(<tls ca-bundle="pki/ca.pem" certificate="pki/gateway.pem"
      private-key="/etc/k/gateway.key" crl-dir="/var/lib/ketenpoort/crl" crl-fetch-minutes="30">
    <crl-source url="http://cert.pkioverheid.nl/PrivateServicesCA-G1.crl" file="private-services-g1.crl"/>
  </tls>)"));
  ASSERT_TRUE(good.config) << (good.problems.empty() ? "" : good.problems.front().str());
  ASSERT_EQ(good.config->tls.crl_sources.size(), 1u);
  EXPECT_EQ(good.config->tls.crl_sources[0].file, "private-services-g1.crl");
  EXPECT_EQ(good.config->tls.crl_fetch_interval, std::chrono::minutes(30));
  const auto written = parse(renderGatewayConfigXml(*good.config, "/srv/ketenpoort"));
  ASSERT_TRUE(written.config);
  EXPECT_TRUE(written.config->tls.sameAs(good.config->tls));

  const auto bad = parse(validWith(tls, R"(<tls ca-bundle="pki/ca.pem" certificate="pki/gateway.pem"
      private-key="/etc/k/gateway.key" crl-fetch-minutes="0">
    <crl-source url="ldap://crl.example/ca" file="../../etc/passwd.crl"/>
    <crl-source url="http://crl.example/ca.crl" file=".hidden.crl"/>
    <crl-source url="http://crl.example/ca.crl" file="ca.der"/>
    <crl-source url="http://crl.example/a.crl" file="same.crl"/>
    <crl-source url="http://crl.example/b.crl" file="same.crl"/>
  </tls>)"));
  const auto found = messages(bad);
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("crl-source url must be http(s)://")));
  EXPECT_THAT(found,
              ::testing::Contains(HasSubstr("plain file name ending in .crl or .pem, found \"../../etc/passwd.crl\"")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("found \".hidden.crl\"")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("found \"ca.der\"")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("two crl-sources write \"same.crl\"")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("tls/crl-source needs tls/@crl-dir")));
  EXPECT_THAT(found, ::testing::Contains(HasSubstr("\"crl-fetch-minutes\" must be a whole number from 1 to 1440")));
}

}  // namespace
}  // namespace ketenpoort

namespace ketenpoort {
namespace {

// Issue 28: a gemeente's case system per flow, strict; its secret from a file of its owner's.
TEST(ConfigLoader, AZgwCaseSystemIsReadStrictlyAndItsSecretOnlyFromAPrivateFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("zgw-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const char* name, const std::string& content, std::filesystem::perms mode) {
    std::ofstream(dir / name) << content;
    std::filesystem::permissions(dir / name, mode);
  };
  write("private.secret", "s3cret-value\n", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  write("open.secret", "s3cret-value\n",
        std::filesystem::perms::owner_read | std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  const std::string zgw = R"(<zgw flow="coa.klantprofiel" zaken="https://oz.example/zaken/api/v1"
        documenten="https://oz.example/documenten/api/v1" zaaktype="https://oz.example/catalogi/api/v1/zaaktypen/1"
        informatieobjecttype="https://oz.example/catalogi/api/v1/informatieobjecttypen/2"
        roltype="https://oz.example/catalogi/api/v1/roltypen/3" rsin="002220647" client-id="ketenpoort"
        secret-file="private.secret"/>)";
  const std::string endpoint = R"(<endpoint flow="*" url="https://gemeente.example/ketenpoort"/>)";
  const auto good = parseGatewayConfig(validWith(endpoint, endpoint + zgw), "test.xml", dir);
  ASSERT_TRUE(good.config) << ::testing::PrintToString(messages(good));
  const Party& amsterdam = *good.config->findPartyById("gemeente-0363");
  ASSERT_NE(amsterdam.zgwFor("coa.klantprofiel"), nullptr);
  EXPECT_EQ(amsterdam.zgwFor("coa.klantprofiel")->secret, "s3cret-value");
  EXPECT_EQ(amsterdam.zgwFor("coa.nareisprofiel"), nullptr);
  // Written back without the secret, and read back the same.
  const std::string rendered = renderGatewayConfigXml(*good.config, dir);
  EXPECT_EQ(rendered.find("s3cret-value"), std::string::npos);
  const auto again = parseGatewayConfig(rendered, "again.xml", dir);
  ASSERT_TRUE(again.config) << ::testing::PrintToString(messages(again));
  EXPECT_EQ(again.config->findPartyById("gemeente-0363")->zgw, amsterdam.zgw);

  const auto with = [&](const std::string& from, const std::string& to) {
    std::string changed = zgw;
    changed.replace(changed.find(from), from.size(), to);
    return messages(parseGatewayConfig(validWith(endpoint, endpoint + changed), "test.xml", dir));
  };
  EXPECT_THAT(with("private.secret", "open.secret"), ::testing::Contains(HasSubstr("mode 0600")));
  EXPECT_THAT(with("private.secret", "missing.secret"), ::testing::Contains(HasSubstr("secret-file")));
  EXPECT_THAT(with("002220647", "002220648"), ::testing::Contains(HasSubstr("rsin must be 9 digits")));
  EXPECT_THAT(with("https://oz.example/zaken", "http://oz.example/zaken"),
              ::testing::Contains(HasSubstr("zaken must be https://")));
  EXPECT_THAT(with("client-id=\"ketenpoort\"", "client-id=\"a b\""),
              ::testing::Contains(HasSubstr("client-id must be")));
  EXPECT_THAT(with("secret-file", "secret-fil"), ::testing::Contains(HasSubstr("secret-fil")));
  const auto twice = messages(parseGatewayConfig(validWith(endpoint, endpoint + zgw + zgw), "test.xml", dir));
  EXPECT_THAT(twice, ::testing::Contains(HasSubstr("two <zgw> for flow \"coa.klantprofiel\"")));
  const auto beside = messages(parseGatewayConfig(
      validWith(endpoint, R"(<endpoint flow="coa.klantprofiel" url="https://gemeente.example/k"/>)" + zgw), "test.xml",
      dir));
  EXPECT_THAT(beside, ::testing::Contains(HasSubstr("has an endpoint and a <zgw>")));
  const auto school =
      messages(parseGatewayConfig(validWith(R"(role="coa"/>)", R"(role="coa">)" + zgw + "</party>"), "test.xml", dir));
  EXPECT_THAT(school, ::testing::Contains(HasSubstr("only a party with role gemeente has a case system")));
  // No problem ever shows the secret.
  for (const auto& m : with("002220647", "1")) EXPECT_EQ(m.find("s3cret"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ketenpoort
