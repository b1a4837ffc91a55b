// The gateway over real TLS on loopback: who gets in, who is refused, limits, timeouts
// and the drain. Every refusal is checked from the client's side and, where the TLS
// layer refuses, in the server's metrics by reason.
#include <gmock/gmock.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/http/https_client.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/integration/gateway_fixture.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;

const std::string kWhoami = "GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

class TlsGatewayTest : public GatewayFixture {};

TEST_F(TlsGatewayTest, ValidPartyIsIdentifiedByTheOinInItsCertificate) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("gemeente-0363"));
  const auto response = client.request("GET", "/v1/whoami");
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->headers.at("content-type"), "application/json");
  const auto json = boost::json::parse(response->body).as_object();
  EXPECT_EQ(json.at("id"), "gemeente-0363");
  EXPECT_EQ(json.at("oin"), "00000099200000000363");
  EXPECT_EQ(json.at("role"), "gemeente");
  EXPECT_EQ(json.at("cbs_code"), "0363");
}

TEST_F(TlsGatewayTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client.writeRaw(kWhoami), "");
    const auto response = client.readResponse();
    ASSERT_TRUE(response) << client.lastError();
    EXPECT_EQ(response->status, 200u);
  }
  // Counted once the response is written, so the client may be a moment ahead.
  EXPECT_TRUE(waitUntil([&] { return server_->metrics().requests.value({"exchange", "/v1/whoami", "200"}) == 3; }));
}

TEST_F(TlsGatewayTest, ClientWithoutCertificateIsRefused) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), {env_->pkiDir() / "ca.pem", {}, {}, 0, 0, {}});
  EXPECT_FALSE(client.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("no-client-certificate"));
}

TEST_F(TlsGatewayTest, CertificateFromAnotherCaIsRefused) {
  startGateway();
  DevCertificateAuthority stranger_ca("some other CA");
  // The right OIN, the wrong issuer.
  writeClientCertificate(*env_, stranger_ca, "impostor", "00000099200000000363");
  TestTlsClient client(server_->exchangePort(), asParty("impostor"));
  EXPECT_FALSE(client.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("unknown-ca"));
}

TEST_F(TlsGatewayTest, ExpiredCertificateIsRefused) {
  startGateway();
  writeClientCertificate(*env_, env_->ca, "expired", "00000099200000000363", -30L * 86400, -86400);
  TestTlsClient client(server_->exchangePort(), asParty("expired"));
  EXPECT_FALSE(client.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("certificate-expired"));
}

TEST_F(TlsGatewayTest, UnknownOinGets403UnknownParty) {
  startGateway();
  writeClientCertificate(*env_, env_->ca, "unconfigured", "00000099999999999999");
  TestTlsClient client(server_->exchangePort(), asParty("unconfigured"));
  const auto response = client.request("GET", "/v1/whoami");
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 403u);
  EXPECT_EQ(response->headers.at("content-type"), "application/problem+json");
  EXPECT_EQ(problemCode(*response), "unknown-party");
  EXPECT_EQ(response->headers.at("connection"), "close");
}

TEST_F(TlsGatewayTest, CertificateWithoutOinGets403InvalidClientCertificate) {
  startGateway();
  CertificateRequest request;
  request.common_name = "no-oin";
  request.client = true;
  const PemPair pair = env_->ca.issue(request);
  writePemFile(env_->certificateOf("no-oin"), pair.certificate_pem, false);
  writePemFile(env_->keyOf("no-oin"), pair.private_key_pem, true);
  TestTlsClient client(server_->exchangePort(), asParty("no-oin"));
  const auto response = client.request("GET", "/v1/whoami");
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 403u);
  EXPECT_EQ(problemCode(*response), "invalid-client-certificate");
}

TEST_F(TlsGatewayTest, TestOinIsRefusedInProductionMode) {
  config_.mode = GatewayMode::kProduction;
  config_.parties = {Party{"gemeente-0363",
                           *Oin::parse("00000001002564440000"),
                           "Gemeente Amsterdam",
                           PartyRole::kGemeente,
                           "0363",
                           {},
                           {},
                           {}}};
  startGateway();
  // gemeente-0363's demo certificate carries the test OIN 00000099200000000363.
  TestTlsClient client(server_->exchangePort(), asParty("gemeente-0363"));
  const auto response = client.request("GET", "/v1/whoami");
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 403u);
  EXPECT_EQ(problemCode(*response), "test-party-refused");

  writeClientCertificate(*env_, env_->ca, "amsterdam-prod", "00000001002564440000");
  TestTlsClient production(server_->exchangePort(), asParty("amsterdam-prod"));
  const auto ok = production.request("GET", "/v1/whoami");
  ASSERT_TRUE(ok) << production.lastError();
  EXPECT_EQ(ok->status, 200u);
}

TEST_F(TlsGatewayTest, Tls11ClientIsRefused) {
  startGateway();
  auto options = asParty("coa");
  options.min_version = TLS1_1_VERSION;
  options.max_version = TLS1_1_VERSION;
  options.tls12_ciphers = "DEFAULT:@SECLEVEL=0";  // let OpenSSL 3 even offer TLS 1.1
  TestTlsClient client(server_->exchangePort(), options);
  EXPECT_NE(client.connectAndHandshake(), "");
  EXPECT_TRUE(handshakeFailureCounted("protocol-version"));
}

TEST_F(TlsGatewayTest, Tls12WithoutForwardSecrecyOrAeadIsRefused) {
  startGateway();
  for (const char* cipher :
       {"AES128-GCM-SHA256", "AES256-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"}) {
    auto options = asParty("coa");
    options.max_version = TLS1_2_VERSION;
    options.tls12_ciphers = cipher;
    TestTlsClient client(server_->exchangePort(), options);
    EXPECT_NE(client.connectAndHandshake(), "") << cipher << " was accepted";
  }
  EXPECT_TRUE(handshakeFailureCounted("no-shared-cipher"));
}

TEST_F(TlsGatewayTest, Tls12WithForwardSecretAeadIsAccepted) {
  startGateway();
  auto options = asParty("coa");
  options.max_version = TLS1_2_VERSION;
  options.tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  TestTlsClient client(server_->exchangePort(), options);
  ASSERT_EQ(client.connectAndHandshake(), "");
  EXPECT_STREQ(SSL_get_version(client.nativeHandle()), "TLSv1.2");
  ASSERT_EQ(client.writeRaw(kWhoami), "");
  const auto response = client.readResponse();
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 200u);
}

TEST_F(TlsGatewayTest, OversizedBodyGets413) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  const auto response =
      client.request("POST", "/v1/berichten/coa.klantprofiel", std::string(config_.limits.max_body_bytes + 1, 'x'));
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 413u);
  EXPECT_EQ(problemCode(*response), "payload-too-large");
}

TEST_F(TlsGatewayTest, OversizedChunkedBodyGets413) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  std::string request = "POST /v1/berichten/coa.klantprofiel HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(16 * 1024, 'x');
  for (int i = 0; i < 5; ++i) request += "4000\r\n" + chunk + "\r\n";
  request += "0\r\n\r\n";
  client.writeRaw(request);  // the server may close before all of it is written
  const auto response = client.readResponse();
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 413u);
}

TEST_F(TlsGatewayTest, OversizedHeaderGets431) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  client.writeRaw("GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(config_.limits.max_header_bytes, 'a') +
                  "\r\n\r\n");
  const auto response = client.readResponse();
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 431u);
  EXPECT_EQ(problemCode(*response), "header-too-large");
}

TEST_F(TlsGatewayTest, GarbageRequestGets400Problem) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  client.writeRaw("THIS IS NOT HTTP\r\n\r\n");
  const auto response = client.readResponse();
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 400u);
  EXPECT_EQ(problemCode(*response), "bad-request");
}

TEST_F(TlsGatewayTest, UnknownPathAndWrongMethodAreProblems) {
  startGateway();
  TestTlsClient a(server_->exchangePort(), asParty("coa"));
  const auto missing = a.request("GET", "/v1/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404u);
  EXPECT_EQ(problemCode(*missing), "not-found");
  TestTlsClient b(server_->exchangePort(), asParty("coa"));
  const auto wrong = b.request("DELETE", "/v1/whoami");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405u);
  EXPECT_EQ(wrong->headers.at("allow"), "GET");
}

TEST_F(TlsGatewayTest, SlowHeaderIsCutOffByTheHeaderTimeout) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(client.writeRaw("GET /v1/whoami HTTP/1.1\r\nHo"), "");  // and then nothing
  EXPECT_TRUE(client.closedByPeerWithin(std::chrono::seconds(5))) << client.lastError();
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, config_.limits.header_timeout - std::chrono::milliseconds(50));
}

TEST_F(TlsGatewayTest, SlowBodyIsCutOffByTheBodyTimeout) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  ASSERT_EQ(client.writeRaw("POST /v1/berichten/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"), "");
  EXPECT_TRUE(client.closedByPeerWithin(std::chrono::seconds(5))) << client.lastError();
}

TEST_F(TlsGatewayTest, SilentClientIsCutOffByTheHandshakeTimeout) {
  startGateway();
  // A TCP connection that never says ClientHello.
  const auto started = std::chrono::steady_clock::now();
  const bool closed = silentConnectionClosedWithin(server_->exchangePort(), std::chrono::seconds(5));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_GE(waited, config_.limits.handshake_timeout - std::chrono::milliseconds(50));
  EXPECT_TRUE(handshakeFailureCounted("timeout"));
}

TEST_F(TlsGatewayTest, PlainHttpOnTheTlsPortIsRefusedAndCounted) {
  startGateway();
  EXPECT_EQ(plainHttpGet(server_->exchangePort(), "/v1/whoami").status, 0u);
  EXPECT_TRUE(handshakeFailureCounted("plain-http"));
}

TEST_F(TlsGatewayTest, IdleKeepAliveConnectionIsClosed) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(client.connectAndHandshake(), "");
  ASSERT_EQ(client.writeRaw(kWhoami), "");
  ASSERT_TRUE(client.readResponse());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByPeerWithin(std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - started, config_.limits.idle_timeout - std::chrono::milliseconds(50));
}

TEST_F(TlsGatewayTest, ConnectionsBeyondTheLimitAreClosed) {
  config_.limits.max_connections = 2;
  config_.limits.header_timeout = std::chrono::milliseconds(3000);
  startGateway();
  TestTlsClient first(server_->exchangePort(), asParty("coa"));
  TestTlsClient second(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(first.connectAndHandshake(), "");
  ASSERT_EQ(second.connectAndHandshake(), "");
  // Authenticated on the server's side too (a connection still in its handshake would be
  // closed to make room, see IdleUnauthenticatedSocketsCannotLockOutTheParties).
  for (TestTlsClient* client : {&first, &second}) {
    ASSERT_EQ(client->writeRaw(kWhoami), "");
    ASSERT_TRUE(client->readResponse());
  }
  TestTlsClient third(server_->exchangePort(), asParty("coa"));
  EXPECT_FALSE(third.request("GET", "/v1/whoami"));
  EXPECT_EQ(server_->metrics().connections_rejected.value({"exchange", "max-connections"}), 1u);
  // The admitted ones still work.
  ASSERT_EQ(first.writeRaw(kWhoami), "");
  const auto response = first.readResponse();
  ASSERT_TRUE(response) << first.lastError();
  EXPECT_EQ(response->status, 200u);
}

// Issue 12, defect 8: idle sockets that never authenticate (twice the connection limit)
// must not lock out the parties. They are pushed out oldest first; /readyz and a metric
// show the saturation.
TEST_F(TlsGatewayTest, IdleUnauthenticatedSocketsCannotLockOutTheParties) {
  config_.limits.max_connections = 32;
  config_.limits.max_handshakes = 16;
  config_.limits.max_handshakes_per_address = 8;
  config_.limits.handshake_timeout = std::chrono::seconds(30);  // the flood would outlast it
  startGateway();
  std::vector<int> idle;
  for (std::size_t i = 0; i < 2 * config_.limits.max_connections; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->exchangePort());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    idle.push_back(fd);
  }
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().handshakes_evicted.value({"exchange", "per-address"}) > 0; }));
  for (const Party& party : env_->config.parties) {
    TestTlsClient client(server_->exchangePort(), asParty(party.id));
    const auto answer = client.request("GET", "/v1/whoami");
    ASSERT_TRUE(answer) << party.id << ": " << client.lastError();
    EXPECT_TRUE(answer->status == 200u || answer->status == 403u) << party.id;
  }
  const auto ready = plainHttpGet(server_->opsPort(), "/readyz");
  EXPECT_EQ(ready.status, 503u);
  EXPECT_THAT(ready.body, HasSubstr("saturated"));
  EXPECT_THAT(plainHttpGet(server_->opsPort(), "/metrics").body,
              HasSubstr("ketenpoort_connections_in_handshake{listener=\"exchange\"}"));
  for (int fd : idle) ::close(fd);
}

// Issue 12, defect 10: a revoked client certificate is refused in the handshake, counted
// by reason; the others are unaffected.
TEST_F(TlsGatewayTest, RevokedCertificateIsRefusedInTheHandshake) {
  revokeCertificates(*env_, {"taalschool-b"});
  startGateway();
  TestTlsClient revoked(server_->exchangePort(), asParty("taalschool-b"));
  EXPECT_FALSE(revoked.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("revoked"));
  expectWelcomed("taalschool-a");
}

// With revocation checking on, a CA without a current CRL refuses its clients (fail-closed).
TEST_F(TlsGatewayTest, NoCurrentCrlMeansNoClientOfThatCa) {
  writePemFile(env_->pkiDir() / "crl" / "ca.crl.pem", env_->ca.crlPem({}, -60), false);  // expired
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  EXPECT_FALSE(client.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("crl-unavailable"));
}

// Issue 27: the TLS files are watched. A CRL its CA published, put in the CRL directory
// while the gateway runs, decides the next handshakes without a reload or restart; the
// connection already open goes on with what it began with; the other parties connect.
TEST_F(TlsGatewayTest, ACrlReplacedOnDiskTakesEffectWithoutARestart) {
  revokeCertificates(*env_, {});
  config_.tls.check_files_interval = std::chrono::milliseconds(50);
  config_.limits.idle_timeout = std::chrono::seconds(10);
  startGateway();
  TestTlsClient open_before(server_->exchangePort(), asParty("taalschool-b"));
  ASSERT_EQ(open_before.connectAndHandshake(), "");
  ASSERT_EQ(open_before.writeRaw(kWhoami), "");
  ASSERT_TRUE(open_before.readResponse()) << open_before.lastError();

  revokeCertificates(*env_, {"taalschool-b"});
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().config_reloads.value({"tls-files", "applied"}) == 1; }));
  TestTlsClient revoked(server_->exchangePort(), asParty("taalschool-b"));
  EXPECT_FALSE(revoked.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("revoked"));
  ASSERT_EQ(open_before.writeRaw(kWhoami), "");
  const auto still = open_before.readResponse();
  ASSERT_TRUE(still) << open_before.lastError();
  EXPECT_EQ(still->status, 200u);
  TestTlsClient other(server_->exchangePort(), asParty("taalschool-a"));
  const auto answer = other.request("GET", "/v1/whoami");
  ASSERT_TRUE(answer) << other.lastError();
  EXPECT_EQ(answer->status, 200u);
  EXPECT_EQ(server_->metrics().config_reloads.value({"tls-files", "refused"}), 0u);
}

// Files that do not load (a certificate without its key, a half-written file) change
// nothing: the gateway keeps what it loaded before, counts and logs the refusal, and takes
// the files once they are whole. The new certificate is the one new connections see.
TEST_F(TlsGatewayTest, TlsFilesThatDoNotLoadChangeNothingUntilTheyDo) {
  config_.tls.check_files_interval = std::chrono::milliseconds(50);
  startGateway();
  const auto serialSeen = [&] { return serialShownBy(server_->exchangePort(), asParty("coa")); };
  const std::string first = serialSeen();

  const PemPair next = env_->ca.issue(gatewayCertificateRequest("ketenpoort gateway (renewed)"));
  // The certificate first, its key not yet: they do not match.
  writePemFile(env_->pkiDir() / "gateway.pem", next.certificate_pem, false);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().config_reloads.value({"tls-files", "refused"}) == 1; }));
  EXPECT_EQ(serialSeen(), first);
  EXPECT_EQ(server_->metrics().config_reloads.value({"tls-files", "applied"}), 0u);

  writePemFile(env_->pkiDir() / "gateway.key", next.private_key_pem, true);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().config_reloads.value({"tls-files", "applied"}) == 1; }));
  const std::string second = serialSeen();
  EXPECT_NE(second, first);
  EXPECT_THAT(plainHttpGet(server_->opsPort(), "/metrics").body,
              HasSubstr("ketenpoort_certificate_expiry_timestamp_seconds{kind=\"own\",subject=\"localhost\",serial=\"" +
                        second + "\"}"));
}

// Every certificate the gateway holds or trusts and every CRL's nextUpdate is a metric,
// so an alert fires well before anyone is locked out. A CRL past its nextUpdate is still
// taken within the configured grace (default none: fail-closed), and not after it.
TEST_F(TlsGatewayTest, ExpiriesAreMetricsAndACrlGraceBridgesALateCa) {
  writePemFile(env_->pkiDir() / "crl" / "ca.crl.pem", env_->ca.crlPem({}, -3600), false);  // an hour late
  config_.tls.crl_grace = std::chrono::hours(2);
  config_.tls.check_files_interval = std::chrono::milliseconds(50);
  startGateway();
  TestTlsClient within_grace(server_->exchangePort(), asParty("coa"));
  const auto answer = within_grace.request("GET", "/v1/whoami");
  ASSERT_TRUE(answer) << within_grace.lastError();
  EXPECT_EQ(answer->status, 200u);

  const auto expiries = server_->metrics().certificate_expiry.values();
  std::map<std::string, std::int64_t> by_kind;
  for (const auto& [labels, expires] : expiries) by_kind[labels[0]] = expires;
  ASSERT_EQ(by_kind.size(), 3u);  // own, ca, crl
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(by_kind["crl"]), static_cast<double>(now - 3600), 120.0);
  EXPECT_GT(by_kind["own"], now + 300L * 24 * 3600);  // the development CA issues for 397 days
  EXPECT_GT(by_kind["ca"], now);

  // Three hours late: past the grace, that CA's clients are refused.
  writePemFile(env_->pkiDir() / "crl" / "ca.crl.pem", env_->ca.crlPem({}, -3 * 3600), false);
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().config_reloads.value({"tls-files", "applied"}) >= 1; }));
  TestTlsClient past_grace(server_->exchangePort(), asParty("coa"));
  EXPECT_FALSE(past_grace.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("crl-unavailable"));
}

// Issue 27: the shipped Grafana dashboard and Prometheus alert rules name only metrics
// this gateway exports, so no panel or alert stays silently empty.
TEST_F(TlsGatewayTest, DashboardAndAlertRulesNameOnlyExportedMetrics) {
  startGateway();
  const std::string exported_text = plainHttpGet(server_->opsPort(), "/metrics").body;
  // Every run of "ketenpoort_" and lower-case letters or underscores in `text`. (No
  // std::regex: GCC 12 warns inside it at -O1, the sanitizer builds' level.)
  const auto namesIn = [](const std::string& text) {
    std::set<std::string> names;
    for (auto at = text.find("ketenpoort_"); at != std::string::npos; at = text.find("ketenpoort_", at + 1)) {
      auto end = at + std::string_view("ketenpoort_").size();
      while (end < text.size() && ((text[end] >= 'a' && text[end] <= 'z') || text[end] == '_')) ++end;
      names.insert(text.substr(at, end - at));
    }
    return names;
  };
  // The families /metrics declares ("# TYPE name type"), a histogram's series with them.
  std::set<std::string> exported;
  std::istringstream lines(exported_text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    exported.insert(name);
    if (line.ends_with(" histogram")) {
      for (const char* part : {"_bucket", "_sum", "_count"}) exported.insert(name + part);
    }
  }
  ASSERT_GT(exported.size(), 15u);

  const std::filesystem::path packaging = std::filesystem::path(KETENPOORT_SOURCE_DIR) / "packaging";
  const boost::json::value dashboard = boost::json::parse(readFile(packaging / "grafana" / "ketenpoort.json"));
  std::vector<std::string> expressions;
  const std::function<void(const boost::json::value&)> collect = [&](const boost::json::value& v) {
    if (const auto* object = v.if_object()) {
      for (const auto& [key, member] : *object) {
        if (key == "expr" && member.is_string()) expressions.emplace_back(member.as_string());
        collect(member);
      }
    } else if (const auto* array = v.if_array()) {
      for (const auto& element : *array) collect(element);
    }
  };
  collect(dashboard);
  ASSERT_GE(expressions.size(), 15u);
  std::set<std::string> on_the_dashboard;
  for (const auto& expression : expressions) {
    const auto names = namesIn(expression);
    EXPECT_FALSE(names.empty()) << "a panel query without a ketenpoort metric: " << expression;
    for (const auto& name : names) {
      EXPECT_TRUE(exported.contains(name)) << name << " (dashboard) is not exported";
      on_the_dashboard.insert(name);
    }
  }
  const auto in_rules = namesIn(readFile(packaging / "prometheus" / "ketenpoort.rules.yml"));
  ASSERT_GE(in_rules.size(), 10u);
  for (const auto& name : in_rules) EXPECT_TRUE(exported.contains(name)) << name << " (alert rules) is not exported";
  // The other way round: every metric family has a panel.
  for (const auto& name : exported) {
    if (name.ends_with("_sum") || name.ends_with("_count") || name == "ketenpoort_http_request_duration_seconds")
      continue;
    EXPECT_TRUE(on_the_dashboard.contains(name)) << name << " has no panel";
  }
}

TEST_F(TlsGatewayTest, AuditListenerAdmitsPrivacyOfficersOnly) {
  startGateway();
  TestTlsClient officer(server_->auditPort(), asParty("fg-0363"));
  const auto ok = officer.request("GET", "/v1/whoami");
  ASSERT_TRUE(ok) << officer.lastError();
  EXPECT_EQ(ok->status, 200u);
  TestTlsClient gemeente(server_->auditPort(), asParty("gemeente-0363"));
  const auto refused = gemeente.request("GET", "/v1/whoami");
  ASSERT_TRUE(refused) << gemeente.lastError();
  EXPECT_EQ(refused->status, 403u);
  EXPECT_EQ(problemCode(*refused), "role-not-allowed");
}

TEST_F(TlsGatewayTest, OpsListenerServesHealthReadinessAndMetrics) {
  startGateway();
  TestTlsClient client(server_->exchangePort(), asParty("coa"));
  ASSERT_TRUE(client.request("GET", "/v1/whoami"));
  TestTlsClient anonymous(server_->exchangePort(), {env_->pkiDir() / "ca.pem", {}, {}, 0, 0, {}});
  anonymous.request("GET", "/v1/whoami");
  ASSERT_TRUE(handshakeFailureCounted("no-client-certificate"));
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().requests.value({"exchange", "/v1/whoami", "200"}) == 1; }));

  EXPECT_EQ(plainHttpGet(server_->opsPort(), "/healthz").status, 200u);
  const auto ready = plainHttpGet(server_->opsPort(), "/readyz");
  EXPECT_EQ(ready.status, 200u);
  EXPECT_THAT(ready.body, HasSubstr("ready"));
  const auto metrics = plainHttpGet(server_->opsPort(), "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_THAT(metrics.head, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(ketenpoort_http_requests_total{listener="exchange",route="/v1/whoami",status="200"} 1)"));
  EXPECT_THAT(
      metrics.body,
      HasSubstr(R"(ketenpoort_tls_handshake_failures_total{listener="exchange",reason="no-client-certificate"} 1)"));
  EXPECT_THAT(metrics.body, HasSubstr(R"(ketenpoort_http_request_duration_seconds_count{listener="exchange"} 1)"));
  EXPECT_THAT(metrics.body, HasSubstr("ketenpoort_open_connections{listener=\"exchange\"}"));
  EXPECT_EQ(plainHttpGet(server_->opsPort(), "/other").status, 404u);
}

TEST_F(TlsGatewayTest, DrainFinishesTheRequestInFlightAndClosesIdleConnections) {
  startGateway();
  TestTlsClient idle(server_->exchangePort(), asParty("coa"));
  ASSERT_EQ(idle.connectAndHandshake(), "");
  TestTlsClient busy(server_->exchangePort(), asParty("gemeente-0363"));
  ASSERT_EQ(busy.connectAndHandshake(), "");
  ASSERT_EQ(busy.writeRaw("GET /v1/whoami HTTP/1.1\r\n"), "");  // request under way
  // The drain begins once the server has the partial request in hand.
  ASSERT_TRUE(waitUntil([&] { return server_->metrics().requests_in_progress.value({"exchange"}) == 1; }));

  server_->drain();
  EXPECT_TRUE(waitUntil([&] { return plainHttpGet(server_->opsPort(), "/readyz").status == 503; }));
  EXPECT_TRUE(idle.closedByPeerWithin(std::chrono::seconds(2))) << "idle connection kept open";
  // New connections are no longer accepted.
  TestTlsClient late(server_->exchangePort(), asParty("coa"));
  EXPECT_FALSE(late.request("GET", "/v1/whoami"));

  ASSERT_EQ(busy.writeRaw("Host: 127.0.0.1\r\n\r\n"), "");
  const auto response = busy.readResponse();
  ASSERT_TRUE(response) << busy.lastError();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->headers.at("connection"), "close");
  EXPECT_TRUE(server_->wait());
  server_.reset();
}

TEST_F(TlsGatewayTest, FlowCatalogueShowsEachPartyItsOwnFlows) {
  startGateway();
  const auto flowsOf = [&](const std::string& party) {
    TestTlsClient client(server_->exchangePort(), asParty(party));
    const auto response = client.request("GET", "/v1/flows");
    EXPECT_TRUE(response) << client.lastError();
    std::map<std::string, boost::json::object> flows;
    if (!response) return flows;
    EXPECT_EQ(response->status, 200u);
    const auto parsed = boost::json::parse(response->body);
    for (const auto& f : parsed.at("flows").as_array()) {
      flows[std::string(f.at("id").as_string())] = f.as_object();
    }
    return flows;
  };
  const auto coa = flowsOf("coa");
  EXPECT_TRUE(coa.contains("coa.klantprofiel"));
  EXPECT_TRUE(coa.contains("coa.toeslagaanvraag"));
  EXPECT_FALSE(coa.contains("taalschool.aanwezigheid"));
  const auto& klantprofiel = coa.at("coa.klantprofiel");
  EXPECT_EQ(klantprofiel.at("purpose").at("id"), "regie-inburgering");
  EXPECT_EQ(klantprofiel.at("legal_basis").at("article"), "Besluit inburgering 2021 art. 9.4 lid 3");
  EXPECT_EQ(klantprofiel.at("your_roles").as_array()[0], "sender");
  const auto& fields = klantprofiel.at("recipients").as_array()[0].at("fields").as_array();
  bool has_bsn = false;
  for (const auto& f : fields) {
    EXPECT_FALSE(std::string(f.at("category").as_string()).starts_with("special:"));
    has_bsn = has_bsn || f.at("id") == "persoon.bsn";
  }
  EXPECT_TRUE(has_bsn);

  const auto school = flowsOf("taalschool-a");
  EXPECT_EQ(school.size(), 2u);
  EXPECT_TRUE(school.at("taalschool.elip-aanmelding").at("conditions").at("agreement_required").as_bool());
  const auto gemeente = flowsOf("gemeente-0363");
  EXPECT_EQ(gemeente.at("duo.inburgeringsstatus").at("your_roles").as_array()[0], "recipient");
  EXPECT_FALSE(gemeente.contains("coa.toeslagaanvraag"));
}

TEST_F(TlsGatewayTest, ReadinessFollowsTheExchangeLogFailClosed) {
  startGateway();
  ExchangeRecord record;
  record.flow = "coa.klantprofiel";
  record.transaction_id = "0190f3a0-0000-7000-8000-000000000001";
  ASSERT_TRUE(server_->exchangeLog().appendAndWait(record).ok);
  EXPECT_EQ(plainHttpGet(server_->opsPort(), "/readyz").status, 200u);

  // Another process holds the write lock past the busy timeout: the log cannot write.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_FALSE(server_->exchangeLog().appendAndWait(record).ok);
  const auto unready = plainHttpGet(server_->opsPort(), "/readyz");
  EXPECT_EQ(unready.status, 503u);
  EXPECT_THAT(unready.body, HasSubstr("log-unavailable"));
  const auto unready_metrics = plainHttpGet(server_->opsPort(), "/metrics").body;
  EXPECT_THAT(unready_metrics, HasSubstr("ketenpoort_exchange_log_writable 0"));
  EXPECT_THAT(unready_metrics, HasSubstr("ketenpoort_ready 0"));

  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  ASSERT_TRUE(server_->exchangeLog().appendAndWait(record).ok);
  EXPECT_EQ(plainHttpGet(server_->opsPort(), "/readyz").status, 200u);
  const auto metrics = plainHttpGet(server_->opsPort(), "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("ketenpoort_exchange_log_writable 1"));
  EXPECT_THAT(metrics, HasSubstr("ketenpoort_ready 1"));
  EXPECT_THAT(metrics,
              HasSubstr("ketenpoort_exchange_log_records " + std::to_string(server_->exchangeLog().lastSequence())));
  EXPECT_GE(server_->exchangeLog().lastSequence(), 2u);
}

TEST_F(TlsGatewayTest, AgreementsFromTheConfigAreInTheRegistryAndLoggedOnce) {
  startGateway();
  auto& registries = server_->registries();
  EXPECT_EQ(registries.findValid("taalschool-a", "elip", "0363", *parseIsoDate("2026-03-01")),
            "vwo-0363-taalschool-a-elip");
  EXPECT_FALSE(registries.findValid("taalschool-b", "elip", "0363", *parseIsoDate("2026-03-01")));
  const auto logged = server_->exchangeLog().lastSequence();
  EXPECT_EQ(logged, 1u);  // the agreement's registration
  server_->drain();
  server_->wait();
  server_.reset();
  startGateway();  // a restart with the same config changes nothing
  EXPECT_EQ(server_->exchangeLog().lastSequence(), logged);

  // Issue 25, item 1: the agreement taken out of the config holds nowhere after the next
  // start, and the log says it ended; a further restart writes nothing more.
  const auto removed = std::find_if(config_.agreements.begin(), config_.agreements.end(),
                                    [](const AgreementConfig& a) { return a.id == "vwo-0363-taalschool-a-elip"; });
  ASSERT_NE(removed, config_.agreements.end());
  config_.agreements.erase(removed);
  server_->drain();
  server_->wait();
  server_.reset();
  startGateway();
  EXPECT_FALSE(server_->registries().findValid("taalschool-a", "elip", "0363", todayUtc()).has_value());
  EXPECT_EQ(server_->exchangeLog().lastSequence(), logged + 1);
  ExchangeQuery changes;
  changes.whole_log = true;
  changes.after_sequence = logged;
  const auto ended = server_->exchangeLog().findExchanges(changes);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].record.reason, "agreement-ended");
  EXPECT_EQ(ended[0].record.agreement_id, "vwo-0363-taalschool-a-elip");
  server_->drain();
  server_->wait();
  server_.reset();
  startGateway();
  EXPECT_EQ(server_->exchangeLog().lastSequence(), logged + 1);
}

TEST_F(TlsGatewayTest, AuditApiAnswersTheOfficerAboutItsOwnOrganisationOnly) {
  startGateway();
  const auto referencer = SubjectReferencer::loadOrCreate(config_.storage_path.parent_path() / "subject.key");
  const std::string bsn = "725763863";  // synthetic
  const auto append = [&](const char* recipient, ExchangeOutcome outcome, const char* reason) {
    ExchangeRecord r;
    r.transaction_id = newUuidV7();
    r.time_utc = systemTime().nowRfc3339();
    r.flow = "coa.klantprofiel";
    r.sender_oin = "00000099100000000001";
    r.recipient_oin = recipient;
    r.purpose = "regie-inburgering";
    r.subject_ref = referencer.reference({SubjectKey::Kind::kBsn, bsn});
    r.outcome = outcome;
    r.reason = reason;
    r.fields_withheld = {{"medisch.diagnosen[0]", "special-category"}};
    ASSERT_TRUE(server_->exchangeLog().appendAndWait(r).ok);
  };
  append("00000099200000000363", ExchangeOutcome::kDelivered, "");
  append("00000099200000000518", ExchangeOutcome::kRefused, "no-koppeling");
  append("00000099200000000363", ExchangeOutcome::kRefused, "law-regime");

  const auto ask = [&](const std::string& target, const std::string& method = "GET", const std::string& body = {}) {
    TestTlsClient officer(server_->auditPort(), asParty("fg-0363"));
    auto response = officer.request(method, target, body);
    EXPECT_TRUE(response) << officer.lastError();
    return response.value_or(TestResponse{});
  };
  // The person is named in the body; a BSN in the URL is refused before anything is done.
  const auto in_url = ask("/v1/audit/exchanges?bsn=" + bsn);
  EXPECT_EQ(in_url.status, 400u);
  EXPECT_EQ(problemCode(in_url), "bsn-in-url");
  EXPECT_EQ(in_url.body.find(bsn), std::string::npos);
  EXPECT_EQ(problemCode(ask("/v1/audit/consents?bsn=" + bsn)), "bsn-in-url");
  const auto report = ask("/v1/audit/exchanges", "POST", R"({"bsn":")" + bsn + R"("})");
  ASSERT_EQ(report.status, 200u) << report.body;
  const auto exchanges = boost::json::parse(report.body).at("exchanges").as_array();
  ASSERT_EQ(exchanges.size(), 2u);  // both Amsterdam's, not the one towards 's-Gravenhage
  EXPECT_EQ(exchanges[0].at("recipient"), "gemeente-0363");
  EXPECT_EQ(exchanges[0].at("fields_withheld").as_array()[0].at("reason"), "special-category");
  EXPECT_EQ(report.body.find(bsn), std::string::npos);

  const auto refusals = ask("/v1/audit/refusals");
  ASSERT_EQ(refusals.status, 200u);
  EXPECT_THAT(refusals.body, HasSubstr(R"({"flow":"coa.klantprofiel","reason":"law-regime","count":1})"));
  EXPECT_THAT(refusals.body, ::testing::Not(HasSubstr("no-koppeling")));
  EXPECT_THAT(ask("/v1/audit/withheld").body, HasSubstr(R"("field":"medisch.diagnosen[]")"));
  EXPECT_EQ(ask("/v1/audit/consents").status, 200u);

  const auto bad = ask("/v1/audit/exchanges?colourzz=blue");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(problemCode(bad), "invalid-query");
  EXPECT_THAT(bad.body, ::testing::Not(HasSubstr("colourzz")));  // a name from the URL, not echoed
  EXPECT_EQ(problemCode(ask("/v1/audit/exchanges", "POST", R"({"bsn":"123456789"})")), "invalid-query");
  EXPECT_EQ(problemCode(ask("/v1/audit/exchanges", "POST", R"({"bsn":725763863})")), "invalid-query");
  EXPECT_EQ(ask("/v1/audit/consents", "POST", R"({"bsn":")" + bsn + R"("})").status, 200u);
  EXPECT_EQ(ask("/v1/audit/refusals", "POST", "{}").status, 405u);  // names no person: GET only
  // A flow filter is recorded with the query: only a flow the gateway knows is taken.
  const auto unknown_flow = ask("/v1/audit/exchanges?flow=zzmarker");
  EXPECT_EQ(unknown_flow.status, 400u);
  EXPECT_THAT(unknown_flow.body, ::testing::Not(HasSubstr("zzmarker")));
  EXPECT_EQ(ask("/v1/audit/exchanges?flow=ketenpoort.consent").status, 200u);

  // Keyset pages: a full page names where the next begins; the pages cover Amsterdam's two
  // exchanges once each, in order.
  const auto page = [&](const std::string& query) {
    const auto answer = ask("/v1/audit/exchanges?" + query);
    EXPECT_EQ(answer.status, 200u) << answer.body;
    return boost::json::parse(answer.body).as_object();
  };
  const auto first_page = page("limit=1");
  ASSERT_EQ(first_page.at("exchanges").as_array().size(), 1u);
  const std::string after_first(first_page.at("next_after").as_string());
  const auto second_page = page("limit=1&after=" + after_first);
  ASSERT_EQ(second_page.at("exchanges").as_array().size(), 1u);
  EXPECT_GT(second_page.at("exchanges").as_array()[0].at("sequence").as_int64(),
            first_page.at("exchanges").as_array()[0].at("sequence").as_int64());
  const auto third_page = page("limit=1&after=" + std::string(second_page.at("next_after").as_string()));
  EXPECT_TRUE(third_page.at("exchanges").as_array().empty());
  EXPECT_FALSE(third_page.contains("next_after"));
  EXPECT_FALSE(page("").contains("next_after"));  // two records, a page of 100
  EXPECT_EQ(problemCode(ask("/v1/audit/exchanges?limit=0")), "invalid-query");
  EXPECT_EQ(problemCode(ask("/v1/audit/exchanges?limit=1001")), "invalid-query");
  EXPECT_EQ(problemCode(ask("/v1/audit/exchanges?after=-1")), "invalid-query");

  // Each answered query was recorded first; one that cannot be recorded is not answered.
  const auto before = server_->exchangeLog().lastSequence();
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(config_.storage_path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto unavailable = ask("/v1/audit/exchanges");
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(unavailable.status, 503u);
  EXPECT_EQ(problemCode(unavailable), "log-unavailable");
  EXPECT_EQ(unavailable.body.find("coa.klantprofiel"), std::string::npos);
  EXPECT_EQ(server_->exchangeLog().lastSequence(), before);
  EXPECT_EQ(before, 1u + 3u + 10u);  // the agreement, three exchanges, ten answered queries
}

// LDV's "lezen" on the audit listener: the organisation's processing as LDV records, by
// person (BSN in the body only), processing activity or trace; recorded first.
TEST_F(TlsGatewayTest, LdvLezenAnswersByPersonActivityAndTraceForTheOwnOrganisationOnly) {
  startGateway();
  const auto referencer = SubjectReferencer::loadOrCreate(config_.storage_path.parent_path() / "subject.key");
  const std::string bsn = "725763863";  // synthetic
  const auto append = [&](const char* recipient, const char* trace) {
    ExchangeRecord r;
    r.transaction_id = newUuidV7();
    r.trace_id = trace;
    r.time_utc = systemTime().nowRfc3339();
    r.flow = "coa.klantprofiel";
    r.sender_oin = "00000099100000000001";
    r.recipient_oin = recipient;
    r.purpose = "regie-inburgering";
    r.subject_ref = referencer.reference({SubjectKey::Kind::kBsn, bsn});
    r.outcome = ExchangeOutcome::kQueued;
    ASSERT_TRUE(server_->exchangeLog().appendAndWait(r).ok);
  };
  append("00000099200000000363", "11111111111111111111111111111111");
  append("00000099200000000363", "22222222222222222222222222222222");
  append("00000099200000000518", "33333333333333333333333333333333");
  const auto ask = [&](const std::string& body, const char* party = "fg-0363", const char* method = "POST") {
    TestTlsClient officer(server_->auditPort(), asParty(party));
    auto response = officer.request(method, "/v1/ldv/processing-activities", body);
    EXPECT_TRUE(response) << officer.lastError();
    return response.value_or(TestResponse{});
  };
  const auto before = server_->exchangeLog().lastSequence();
  const auto person = ask(R"({"bsn":")" + bsn + R"("})");
  ASSERT_EQ(person.status, 200u) << person.body;
  EXPECT_EQ(server_->exchangeLog().lastSequence(), before + 1);  // the question, recorded first
  const auto records = boost::json::parse(person.body).at("records").as_array();
  // Amsterdam's two, not the one towards 's-Gravenhage; and this very question, which is
  // processing about the person too.
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].at("name").as_string(), "ketenpoort.audit-query");
  // The person as the log keeps them: keyed once more under the year their record's
  // retention ends (a record appended without one gets the longest, issue 25), never the
  // registry's own reference.
  const std::string subject_id(records[0].at("attributes").at("dpl.core.data_subject_id").as_string());
  EXPECT_EQ(subject_id.size(), 64u);
  EXPECT_NE(subject_id, referencer.reference({SubjectKey::Kind::kBsn, bsn}));
  EXPECT_EQ(person.body.find(bsn), std::string::npos);

  const auto traced = ask(R"({"trace_id":"22222222222222222222222222222222"})");
  ASSERT_EQ(traced.status, 200u);
  EXPECT_EQ(boost::json::parse(traced.body).at("records").as_array().size(), 1u);
  EXPECT_EQ(boost::json::parse(ask(R"({"trace_id":"33333333333333333333333333333333"})").body)
                .at("records")
                .as_array()
                .size(),
            0u);  // another organisation's trace
  const std::string activity = uuidFromName("ketenpoort-processing-activity:coa.klantprofiel");
  const auto by_activity = ask(R"({"processing_activity_id":")" + activity + R"(","limit":"1"})");
  ASSERT_EQ(by_activity.status, 200u) << by_activity.body;
  EXPECT_EQ(boost::json::parse(by_activity.body).at("records").as_array().size(), 1u);
  EXPECT_THAT(by_activity.body, HasSubstr("next_after"));

  EXPECT_EQ(problemCode(ask(R"({"trace_id":"XYZ"})")), "invalid-query");
  EXPECT_EQ(problemCode(ask(R"({"processing_activity_id":"zzmarker"})")), "invalid-query");
  EXPECT_EQ(ask(R"({"processing_activity_id":"zzmarker"})").body.find("zzmarker"), std::string::npos);
  EXPECT_EQ(problemCode(ask(R"({"bsn":"123456789"})")), "invalid-query");
  EXPECT_EQ(ask("", "fg-0363", "GET").status, 405u);
  EXPECT_EQ(ask(R"({"bsn":")" + bsn + R"("})", "gemeente-0363").status, 403u);
}

TEST_F(TlsGatewayTest, HttpsClientTalksToTheGateway) {
  startGateway();
  HttpsClientOptions options;
  options.port = server_->exchangePort();
  options.ca_bundle = env_->pkiDir() / "ca.pem";
  options.certificate = env_->certificateOf("taalschool-a");
  options.private_key = env_->keyOf("taalschool-a");
  const auto result = httpsRequest(options, "GET", "/v1/whoami");
  ASSERT_TRUE(std::holds_alternative<HttpsResponse>(result)) << std::get<std::string>(result);
  EXPECT_EQ(std::get<HttpsResponse>(result).status, 200u);
  options.host = "localhost";  // verified against the DNS name in the gateway certificate
  EXPECT_TRUE(std::holds_alternative<HttpsResponse>(httpsRequest(options, "GET", "/v1/whoami")));
}

}  // namespace
}  // namespace ketenpoort::testing
