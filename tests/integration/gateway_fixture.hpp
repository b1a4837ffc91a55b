#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "gateway/demo/demo_environment.hpp"
#include "gateway/mapping/source_document.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls_client.hpp"

namespace ketenpoort::testing {

// A real gateway on loopback, ports chosen by the kernel, with a development PKI made for
// the test in a temp dir. Timeouts are short so timeout tests run quickly.
class GatewayFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<DemoEnvironment>(createDemoEnvironment(dir_.path() / "gw", DemoPorts{0, 0, 0}));
    config_ = env_->config;
    config_.limits.threads = 2;
    config_.limits.handshake_timeout = std::chrono::milliseconds(1000);
    config_.limits.header_timeout = std::chrono::milliseconds(400);
    config_.limits.body_timeout = std::chrono::milliseconds(400);
    config_.limits.idle_timeout = std::chrono::milliseconds(600);
    config_.limits.max_body_bytes = 64 * 1024;
    config_.limits.drain_timeout = std::chrono::milliseconds(3000);
    config_.storage_busy_timeout = std::chrono::milliseconds(100);
  }

  void TearDown() override {
    if (server_) {
      server_->drain();
      server_->wait();
    }
    expectReceivedBodiesAreStrict();
  }

  // Every body a simulated recipient received in this test (dir_/received/<party>/) is
  // strict JSON or XML of valid UTF-8 text: whatever a sender tried, the gateway never
  // hands a recipient something its parser must guess at.
  void expectReceivedBodiesAreStrict() const {
    const auto root = dir_.path() / "received";
    if (!std::filesystem::exists(root)) return;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(textProblem(body), nullptr) << entry.path();
      if (entry.path().extension() == ".json") {
        boost::system::error_code ec;
        boost::json::parse(body, ec);  // rejects invalid UTF-8 by default
        EXPECT_FALSE(ec) << entry.path() << ": " << ec.message();
      } else if (entry.path().extension() == ".xml") {
        EXPECT_TRUE(std::holds_alternative<SourceNode>(sourceFromXml(body))) << entry.path();
      }
    }
  }

  // Waits until nothing waits in the outbox (every queued message delivered, dead-lettered
  // or withdrawn): after that nothing more reaches a recipient. The event a test waits
  // for before it says that something did not arrive (never a sleep).
  bool outboxSettled(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    return waitUntil([this] { return server_->outbox().count(DeliveryState::kPending) == 0; }, timeout);
  }

  void startGateway() {
    server_ = std::make_unique<GatewayServer>(config_, ExchangeAdapters{}, clock_);
    server_->start(/*handle_signals=*/false);
  }

  TestClientOptions asParty(const std::string& id) const {
    return {env_->pkiDir() / "ca.pem", env_->certificateOf(id), env_->keyOf(id), 0, 0, {}};
  }

  std::uint64_t handshakeFailures(const std::string& reason) const {
    return server_->metrics().tls_handshake_failures.value({"exchange", reason});
  }

  // Every refusal in the TLS layer is counted by reason; waits for the server's side.
  bool handshakeFailureCounted(const std::string& reason) const {
    return waitUntil([&] { return handshakeFailures(reason) > 0; });
  }

  // `party` connects to the exchange listener and is answered 200 by /v1/whoami: the TLS
  // layer and the party directory let it in.
  void expectWelcomed(const std::string& party) const {
    TestTlsClient client(server_->exchangePort(), asParty(party));
    const auto answer = client.request("GET", "/v1/whoami");
    ASSERT_TRUE(answer) << party << ": " << client.lastError();
    EXPECT_EQ(answer->status, 200u) << party;
  }

  static std::string problemCode(const TestResponse& response) {
    return std::string(boost::json::parse(response.body).at("code").as_string());
  }

  TempDir dir_;
  std::unique_ptr<DemoEnvironment> env_;
  GatewayConfig config_;
  // What the gateway takes for now: the system's time, moved forward when a test says so.
  // Declared before the server, which holds it.
  ShiftedTime clock_;
  std::unique_ptr<GatewayServer> server_;
};

}  // namespace ketenpoort::testing
