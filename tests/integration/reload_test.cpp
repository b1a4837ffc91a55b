// Issue 27: the configuration reloaded while the gateway runs and COA pushes without
// pause. One reload adds a school, removes a party, ends an agreement, replaces the
// gateway's certificate and adds a CRL that revokes a school; each takes effect without a
// restart and no push fails. A file that does not check, or that changes what a running
// gateway cannot take, changes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "adapters/gemeente/gemeente_simulator.hpp"
#include "adapters/standard_adapters.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/http/document_fetch.hpp"
#include "gateway/http/https_client.hpp"
#include "gateway/http/ops_client.hpp"
#include "gateway/identity/bsn.hpp"
#include "tests/integration/gateway_fixture.hpp"
#include "tests/support/gateway_process.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kWhoami = "GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

class ReloadTest : public GatewayFixture {
 protected:
  void SetUp() override {
    GatewayFixture::SetUp();
    config_.limits.idle_timeout = std::chrono::seconds(20);
    config_.limits.header_timeout = std::chrono::seconds(5);
    // The CRL is changed by the reload here, not found by the file watch.
    config_.tls.check_files_interval = std::chrono::hours(1);
    profile_ = readFile(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/klantprofiel.xml");
    file_ = dir_.path() / "gw" / "reloaded.xml";
  }

  void TearDown() override {
    stopPushing();
    GatewayFixture::TearDown();
  }

  void writeConfig(const GatewayConfig& config) const {
    std::ofstream(file_) << renderGatewayConfigXml(config, file_.parent_path());
  }

  void start() {
    GemeenteSimulatorOptions o;
    o.receiver.tls = {env_->pkiDir() / "ca.pem", env_->certificateOf("gemeente-0363"), env_->keyOf("gemeente-0363")};
    o.receiver.tls.crl_dir = amsterdam_crl_dir_;  // empty: no CRLs
    o.out_dir = dir_.path() / "received" / "gemeente-0363";
    amsterdam_ = std::make_unique<GemeenteSimulator>(o);
    amsterdam_->start();
    for (Party& p : config_.parties) {
      if (p.id == "gemeente-0363") {
        p.endpoints = {{"*", "https://127.0.0.1:" + std::to_string(amsterdam_->port()) + "/berichten"}};
      }
    }
    writeConfig(config_);
    server_ = std::make_unique<GatewayServer>(config_, standardAdapters(config_));
    server_->start(false, file_);
  }

  // COA pushes klantprofielen of synthetic persons over one keep-alive connection, one
  // after the other, until stopped; every answer that is not 202 is counted as failed.
  void startPushing() {
    pusher_ = std::thread([this] {
      HttpsClient coa({"127.0.0.1", server_->exchangePort(), env_->pkiDir() / "ca.pem", env_->certificateOf("coa"),
                       env_->keyOf("coa"), std::chrono::seconds(5)});
      std::mt19937_64 rng(2027);
      for (int n = 0; !stop_pushing_; ++n) {
        std::string profile = profile_;
        profile.replace(profile.find("725763863"), 9, randomSyntheticBsn(rng));
        profile.replace(profile.find("2093847561"), 10, std::to_string(4000000000 + n));
        const auto answer =
            coa.request("POST", "/v1/berichten/coa.klantprofiel",
                        {{"X-Doelbinding", "regie-inburgering"}, {"Content-Type", "application/xml"}}, profile);
        const bool accepted =
            std::holds_alternative<HttpsResponse>(answer) && std::get<HttpsResponse>(answer).status == 202;
        (accepted ? pushed_ : failed_)++;
      }
    });
  }
  void stopPushing() {
    stop_pushing_ = true;
    if (pusher_.joinable()) pusher_.join();
  }
  // Waits until `more` pushes were accepted after now: the pusher is really going.
  bool pushesGoOn(int more = 5) {
    const int from = pushed_;
    return waitUntil([&] { return pushed_ >= from + more; }, std::chrono::seconds(20));
  }

  // A CA's distribution point: a real HTTP server (Python's) serving `crl_der` as
  // /ca.crl. Returns its URL once it answers.
  std::string startDistributionPoint(const std::string& crl_der) {
    published_ = dir_.path() / "distribution-point";
    std::filesystem::create_directories(published_);
    publish(crl_der);
    const std::uint16_t port = freeLoopbackPort();
    distribution_point_ = std::make_unique<SpawnedProcess>(
        std::vector<std::string>{"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                                 published_.string(), std::to_string(port)},
        dir_.path() / "http-server.log");
    const WebUrl url{false, {"127.0.0.1", port, "/ca.crl"}};
    EXPECT_TRUE(waitUntil([&] { return fetchDocument(url, {}, std::chrono::seconds(1), 1 << 20).ok(); },
                          std::chrono::seconds(20)))
        << readFile(dir_.path() / "http-server.log");
    return "http://127.0.0.1:" + std::to_string(port) + "/ca.crl";
  }
  void publish(const std::string& crl_der) const {
    std::ofstream(published_ / "ca.crl", std::ios::binary | std::ios::trunc) << crl_der;
  }

  std::filesystem::path published_;
  std::unique_ptr<SpawnedProcess> distribution_point_;
  std::string profile_;
  std::filesystem::path file_;
  std::filesystem::path amsterdam_crl_dir_;  // the CRLs Amsterdam's receiver checks, if any
  std::unique_ptr<GemeenteSimulator> amsterdam_;
  std::thread pusher_;
  std::atomic<bool> stop_pushing_{false};
  std::atomic<int> pushed_{0};
  std::atomic<int> failed_{0};
};

TEST_F(ReloadTest, OneReloadChangesPartiesAgreementsCertificateAndCrlWhilePushesGoOnWithoutAFailure) {
  writeClientCertificate(*env_, env_->ca, "taalschool-c", "00000099300000000003");
  start();
  startPushing();
  ASSERT_TRUE(pushesGoOn());

  // Before: taalschool-c is no one; taalschool-b is; taalschool-a's agreement holds.
  TestTlsClient school_c_before(server_->exchangePort(), asParty("taalschool-c"));
  const auto unknown = school_c_before.request("GET", "/v1/whoami");
  ASSERT_TRUE(unknown) << school_c_before.lastError();
  EXPECT_EQ(unknown->status, 403u);
  TestTlsClient school_b(server_->exchangePort(), asParty("taalschool-b"));
  ASSERT_EQ(school_b.connectAndHandshake(), "");
  ASSERT_EQ(school_b.writeRaw(kWhoami), "");
  const auto known = school_b.readResponse();
  ASSERT_TRUE(known) << school_b.lastError();
  EXPECT_EQ(known->status, 200u);
  const std::string first_serial = serialShownBy(server_->exchangePort(), asParty("coa"));

  // A file that does not check changes nothing.
  std::ofstream(file_) << "<ketenpoort><parties/></ketenpoort>";
  const auto refused = server_->reload(file_, "test");
  EXPECT_EQ(refused.outcome, "refused");
  EXPECT_THAT(refused.problems.front(), HasSubstr("reloaded.xml:1: "));
  EXPECT_EQ(refused.generation, 1u);
  // Nor does one that moves a listener.
  GatewayConfig moved = config_;
  moved.ops.port = static_cast<std::uint16_t>(server_->opsPort() + 1);
  writeConfig(moved);
  const auto restart_only = server_->reload(file_, "test");
  EXPECT_EQ(restart_only.outcome, "refused");
  ASSERT_EQ(restart_only.problems.size(), 1u);
  EXPECT_THAT(restart_only.problems.front(), HasSubstr("listeners/ops changed"));

  // The reload: a new school, taalschool-b gone, taalschool-a's agreement gone, a renewed
  // gateway certificate in new files, and a CRL directory whose CRL revokes taalschool-a.
  GatewayConfig next = config_;
  next.parties.push_back({"taalschool-c",
                          *Oin::parse("00000099300000000003"),
                          "Taalschool C",
                          PartyRole::kTaalschool,
                          std::nullopt,
                          std::nullopt,
                          {},
                          {}});
  std::erase_if(next.parties, [](const Party& p) { return p.id == "taalschool-b"; });
  ASSERT_EQ(next.agreements.size(), 1u);
  const std::string ended = next.agreements.front().id;
  next.agreements.clear();
  const PemPair certificate = env_->ca.issue(gatewayCertificateRequest("ketenpoort gateway (renewed)"));
  next.tls.certificate = env_->pkiDir() / "gateway-2027.pem";
  next.tls.private_key = env_->pkiDir() / "gateway-2027.key";
  writePemFile(next.tls.certificate, certificate.certificate_pem, false);
  writePemFile(next.tls.private_key, certificate.private_key_pem, true);
  next.tls.crl_dir = env_->pkiDir() / "crl-2027";
  std::filesystem::create_directories(next.tls.crl_dir);
  writePemFile(next.tls.crl_dir / "ca.crl.pem", env_->ca.crlPem({readFile(env_->certificateOf("taalschool-a"))}),
               false);
  writeConfig(next);
  const auto applied = server_->reload(file_, "test");
  ASSERT_EQ(applied.outcome, "applied") << (applied.problems.empty() ? "" : applied.problems.front());
  EXPECT_EQ(applied.generation, 2u);
  EXPECT_EQ(applied.changes.at("parties_added").as_array().size(), 1u);
  EXPECT_EQ(applied.changes.at("parties_removed").as_array().at(0).as_string(), "taalschool-b");
  EXPECT_EQ(applied.changes.at("agreements_removed").as_array().at(0).as_string(), ended);
  EXPECT_EQ(server_->metrics().config_reloads.value({"test", "applied"}), 1u);
  EXPECT_EQ(server_->metrics().config_reloads.value({"test", "refused"}), 2u);
  ASSERT_TRUE(pushesGoOn());

  // The new school is someone now.
  TestTlsClient school_c(server_->exchangePort(), asParty("taalschool-c"));
  const auto welcome = school_c.request("GET", "/v1/whoami");
  ASSERT_TRUE(welcome) << school_c.lastError();
  EXPECT_EQ(welcome->status, 200u);
  EXPECT_THAT(welcome->body, HasSubstr("taalschool-c"));
  // The removed party is refused at its next request on the connection it had open…
  ASSERT_EQ(school_b.writeRaw(kWhoami), "");
  const auto gone = school_b.readResponse();
  ASSERT_TRUE(gone) << school_b.lastError();
  EXPECT_EQ(gone->status, 403u);
  EXPECT_THAT(gone->body, HasSubstr("unknown-party"));
  // …and on a new one.
  TestTlsClient school_b_again(server_->exchangePort(), asParty("taalschool-b"));
  const auto still_gone = school_b_again.request("GET", "/v1/whoami");
  ASSERT_TRUE(still_gone) << school_b_again.lastError();
  EXPECT_EQ(still_gone->status, 403u);
  // The agreement the configuration no longer holds ended today.
  bool agreement_ended = false;
  for (const AgreementEntry& a : server_->registries().listAgreements()) {
    if (a.id == ended) agreement_ended = a.valid_until < clock_.today();
  }
  EXPECT_TRUE(agreement_ended);
  // New connections see the renewed certificate; the revoked school cannot connect.
  EXPECT_NE(serialShownBy(server_->exchangePort(), asParty("coa")), first_serial);
  TestTlsClient revoked(server_->exchangePort(), asParty("taalschool-a"));
  EXPECT_FALSE(revoked.request("GET", "/v1/whoami"));
  EXPECT_TRUE(handshakeFailureCounted("revoked"));

  // The same file again: nothing to change.
  EXPECT_EQ(server_->reload(file_, "test").outcome, "unchanged");
  ASSERT_TRUE(pushesGoOn());
  stopPushing();
  EXPECT_EQ(failed_, 0) << "pushes failed during the reloads; " << pushed_ << " accepted";
  EXPECT_GT(pushed_, 15);
}

// The gateway's certificate renewed in place on disk (as an operator's renewal job does
// it): the next delivery presents the new one, without a reload or a restart. Amsterdam's
// receiver has revoked the old one, so until then every delivery attempt is refused there.
TEST_F(ReloadTest, ACertificateRenewedOnDiskIsWhatTheNextDeliveryPresents) {
  config_.tls.check_files_interval = std::chrono::milliseconds(100);
  config_.outbox.initial_backoff = std::chrono::milliseconds(100);
  config_.outbox.max_backoff = std::chrono::milliseconds(200);
  config_.outbox.max_attempts = 1000;
  amsterdam_crl_dir_ = dir_.path() / "amsterdam-crls";
  std::filesystem::create_directories(amsterdam_crl_dir_);
  writePemFile(amsterdam_crl_dir_ / "ca.crl.pem", env_->ca.crlPem({readFile(config_.tls.certificate)}), false);
  start();
  const std::string first_serial = serialShownBy(server_->exchangePort(), asParty("coa"));
  HttpsClient coa({"127.0.0.1", server_->exchangePort(), env_->pkiDir() / "ca.pem", env_->certificateOf("coa"),
                   env_->keyOf("coa"), std::chrono::seconds(5)});
  const auto pushed =
      coa.request("POST", "/v1/berichten/coa.klantprofiel",
                  {{"X-Doelbinding", "regie-inburgering"}, {"Content-Type", "application/xml"}}, profile_);
  ASSERT_TRUE(std::holds_alternative<HttpsResponse>(pushed));
  ASSERT_EQ(std::get<HttpsResponse>(pushed).status, 202u);
  ASSERT_TRUE(
      waitUntil([&] { return server_->metrics().delivery_attempts.value({"failed"}) >= 2; }, std::chrono::seconds(20)));
  EXPECT_EQ(amsterdam_->stored(), 0u);

  // Renewed: the new key first under a temporary name, then both files replaced.
  const PemPair renewed = env_->ca.issue(gatewayCertificateRequest("ketenpoort gateway (renewed)"));
  const auto key_next = config_.tls.private_key.string() + ".next";
  const auto certificate_next = config_.tls.certificate.string() + ".next";
  writePemFile(key_next, renewed.private_key_pem, true);
  writePemFile(certificate_next, renewed.certificate_pem, false);
  std::filesystem::rename(key_next, config_.tls.private_key);
  std::filesystem::rename(certificate_next, config_.tls.certificate);

  ASSERT_TRUE(waitUntil([&] { return amsterdam_->stored() == 1; }, std::chrono::seconds(20)))
      << server_->metrics().delivery_attempts.value({"failed"}) << " attempts failed";
  // Counted once the answer is in, a moment after Amsterdam stored it.
  EXPECT_TRUE(waitUntil([&] { return server_->metrics().delivery_attempts.value({"delivered"}) == 1; },
                        std::chrono::seconds(10)));
  EXPECT_NE(serialShownBy(server_->exchangePort(), asParty("coa")), first_serial);
  EXPECT_EQ(server_->metrics().config_reloads.value({"tls-files", "applied"}), 1u);
}

// A CA's CRL fetched from its distribution point (tls/crl-source, plain HTTP as
// PKIoverheid publishes them) by the running gateway: the new CRL revokes a school, which
// is refused from then on, without a reload or a restart. The distribution point is a
// real HTTP server (Python's) serving the CRL as DER.
TEST_F(ReloadTest, ACrlFetchedFromItsDistributionPointRevokesWithoutARestart) {
  const std::string url = startDistributionPoint(
      crlDerFromPem(env_->ca.crlPem({readFile(env_->certificateOf("taalschool-a"))}, 7L * 24 * 3600, 600)));

  // At start the CRL directory holds the CA's CRL of an hour ago, which revokes no one.
  config_.tls.crl_dir = dir_.path() / "crls";
  std::filesystem::create_directories(config_.tls.crl_dir);
  writePemFile(config_.tls.crl_dir / "ca.crl.pem", env_->ca.crlPem({}), false);
  config_.tls.crl_sources = {{url, "ca.crl.pem"}};
  config_.tls.check_files_interval = std::chrono::milliseconds(100);
  start();

  ASSERT_TRUE(waitUntil(
      [&] {
        return server_->metrics().crl_fetches.value({"ca.crl.pem", "installed"}) == 1;
      },
      std::chrono::seconds(20)))
      << server_->metrics().crl_fetches.value({"ca.crl.pem", "failed"}) << " failed";
  EXPECT_GT(server_->metrics().crl_fetch_last_success.value({"ca.crl.pem"}), 0);
  ASSERT_TRUE(waitUntil(
      [&] {
        TestTlsClient revoked(server_->exchangePort(), asParty("taalschool-a"));
        return !revoked.request("GET", "/v1/whoami");
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(handshakeFailureCounted("revoked"));
  expectWelcomed("taalschool-b");
}

// `ketenpoort crl fetch` as an operator runs it before the first start: each file's
// outcome printed, exit 1 when a source gave nothing the gateway could take.
TEST_F(ReloadTest, TheCrlFetchCommandFetchesOnceAndSaysWhatBecameOfEachFile) {
  const std::string url = startDistributionPoint(crlDerFromPem(env_->ca.crlPem({})));
  config_.tls.crl_dir = dir_.path() / "crls";
  std::filesystem::create_directories(config_.tls.crl_dir);
  config_.tls.crl_sources = {{url, "ca.crl.pem"}};
  writeConfig(config_);
  const std::vector<std::string> fetch{KETENPOORT_BINARY, "crl", "fetch", "--config", file_.string()};

  const CommandResult first = runCommand(fetch, dir_.path());
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("ca.crl.pem: installed"));
  EXPECT_TRUE(std::filesystem::exists(config_.tls.crl_dir / "ca.crl.pem"));
  const CommandResult again = runCommand(fetch, dir_.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("ca.crl.pem: unchanged"));

  // The distribution point now answers with a CRL no CA of the bundle signed.
  publish(crlDerFromPem(DevCertificateAuthority("Stranger CA").crlPem({})));
  const CommandResult foreign = runCommand(fetch, dir_.path());
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_THAT(foreign.out, HasSubstr("ca.crl.pem: refused (not signed by a CA of the bundle"));
}

// A gateway that no longer answers on its ops listener (hung, or something else holds the
// port) does not hang `ketenpoort reload`: the question has a deadline.
TEST_F(ReloadTest, AnOpsListenerThatNeverAnswersIsGivenUpOn) {
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(silent, 4), 0);  // the kernel completes connections; nobody reads or answers
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const ListenerConfig ops{"127.0.0.1", ntohs(address.sin_port)};
  EXPECT_FALSE(getFromOpsListener(ops, "/reloadz", std::chrono::milliseconds(300)));
  ::close(silent);
}

// `ketenpoort reload --config FILE` as an operator runs it against a serving gateway: the
// file is checked first (one that does not check is never sent), the gateway is signalled
// and the outcome printed; the exit status says whether it was taken.
TEST_F(ReloadTest, TheReloadCommandSignalsTheRunningGatewayAndPrintsWhatChanged) {
  config_.ops.port = freeLoopbackPort();  // the command finds the gateway where the file says
  writeConfig(config_);
  const pid_t gateway = testing::startGateway(file_, dir_.path() / "serve.log");
  ASSERT_TRUE(
      waitUntil([&] { return getFromOpsListener(config_.ops, "/reloadz", std::chrono::seconds(1)).has_value(); },
                std::chrono::seconds(20)))
      << logTail(dir_.path() / "serve.log");
  GatewayConfig next = config_;
  std::erase_if(next.parties, [](const Party& p) { return p.id == "taalschool-b"; });
  writeConfig(next);
  const CommandResult applied = runCommand({KETENPOORT_BINARY, "reload", "--config", file_.string()}, dir_.path());
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("applied: generation 2"));
  EXPECT_THAT(applied.out, HasSubstr("parties_removed: taalschool-b"));

  std::ofstream(file_, std::ios::app) << "<trailing/>";
  const CommandResult invalid = runCommand({KETENPOORT_BINARY, "reload", "--config", file_.string()}, dir_.path());
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_THAT(invalid.err, HasSubstr("the running gateway was not asked to reload"));
  const auto status = getFromOpsListener(config_.ops, "/reloadz", std::chrono::seconds(1));
  ASSERT_TRUE(status);
  EXPECT_THAT(status->body, HasSubstr("\"reloads\":1"));
  ::kill(gateway, SIGTERM);
  int exit_status = 0;
  ::waitpid(gateway, &exit_status, 0);
  EXPECT_THAT(readFile(dir_.path() / "serve.log"), HasSubstr("\"event\":\"config-reloaded\""));
}

}  // namespace
}  // namespace ketenpoort::testing
