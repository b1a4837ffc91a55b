// Issue 28: exactly once in the case system without an idempotency key. The gateway (a
// process) is killed with SIGKILL between each pair of a delivery's steps — zaak and rol,
// rol and readable document, the two documents, document and first link, the two links —
// while the case system fails 30 % of calls, half of them after carrying them out (the
// answer lost). Every accepted klantprofiel still ends as one zaak with one rol, two
// documents and two links, and every request keeps the official API files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <mutex>
#include <thread>

#include "adapters/coa_tvs/coa_simulator.hpp"
#include "adapters/zgw/zgw_simulator.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/secrets/secret_files.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

namespace json = boost::json;

std::string textOf(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t deliveredInOutbox(const std::filesystem::path& database) {
  return countInDatabase(database, "outbox", "state = 'delivered'");
}

TEST(ZgwCrashTest, KilledBetweenEveryPairOfStepsAndAFlakyCaseSystemStillMakeOneOfEach) {
  TempDir dir;
  DemoEnvironment env =
      createDemoEnvironment(dir.path() / "gw", DemoPorts{freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()});
  const std::string secret = "zgw-crash-test-secret";
  ASSERT_TRUE(createSecretFile(dir.path() / "zgw-secret", secret + "\n"));
  const auto recording = dir.path() / "zgw-requests.jsonl";

  std::atomic<pid_t> gateway{0};
  std::mutex kill_mutex;
  bool armed = false;     // a gateway runs that no kill has hit yet
  std::size_t kills = 0;  // done
  std::unique_ptr<ZgwSimulator> zgw;
  // Whether a call is the first of the step each kill waits for.
  const auto linksOf = [&zgw](const ApiRequest& r) {
    boost::system::error_code ec;
    const json::value body = json::parse(r.body, ec);
    const std::string zaak = ec || !body.is_object() ? std::string() : textOf(body.as_object(), "zaak");
    for (const auto& z : zgw->zaken()) {
      if (textOf(z.zaak, "url") == zaak) return z.documents.size();
    }
    return std::size_t{99};
  };
  const std::vector<std::pair<const char*, std::function<bool(const ApiRequest&)>>> steps{
      {"between zaak and rol", [](const ApiRequest& r) { return r.path.ends_with("/rollen"); }},
      {"between rol and readable document",
       [](const ApiRequest& r) {
         return r.path.ends_with("/enkelvoudiginformatieobjecten") && r.body.find("-L\"") != std::string::npos;
       }},
      {"between the two documents",
       [](const ApiRequest& r) {
         return r.path.ends_with("/enkelvoudiginformatieobjecten") && r.body.find("-J\"") != std::string::npos;
       }},
      {"between documents and the first link",
       [&](const ApiRequest& r) { return r.path.ends_with("/zaakinformatieobjecten") && linksOf(r) == 0; }},
      {"between the two links",
       [&](const ApiRequest& r) { return r.path.ends_with("/zaakinformatieobjecten") && linksOf(r) == 1; }},
  };

  ZgwSimulatorOptions o;
  o.receiver.tls = {env.pkiDir() / "ca.pem", env.certificateOf("gemeente-0518"), env.keyOf("gemeente-0518")};
  o.receiver.threads = 4;
  o.clients = {{"ketenpoort-0518", secret}};
  o.record_to = recording;
  o.fail_before = 0.15;
  o.fail_after = 0.15;
  o.seed = 28;
  o.interrupt = [&](const ApiRequest& r) {
    if (r.method != "POST") return false;
    std::lock_guard lock(kill_mutex);
    if (!armed || kills >= steps.size() || !steps[kills].second(r)) return false;
    ::kill(gateway.load(), SIGKILL);
    armed = false;
    ++kills;
    return true;  // not carried out: the gateway died before this step
  };
  zgw = std::make_unique<ZgwSimulator>(o);
  zgw->start();

  for (Party& p : env.config.parties) {
    if (p.id != "gemeente-0518") continue;
    p.endpoints.clear();
    const std::string catalogi = "https://catalogi.gemeente.example/catalogi/api/v1/";
    for (const char* flow : {"coa.klantprofiel", "coa.nareisprofiel"}) {
      p.zgw.push_back({flow, zgw->zakenApi(), zgw->documentenApi(),
                       catalogi + "zaaktypen/0d3b1a8e-4f7c-4c55-9a43-1f3c7e2b9d10",
                       catalogi + "informatieobjecttypen/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                       catalogi + "roltypen/11111111-2222-4333-8444-555555555555", "002220647", "ketenpoort-0518",
                       dir.path() / "zgw-secret", secret});
    }
  }
  env.config.outbox.initial_backoff = std::chrono::milliseconds(20);
  env.config.outbox.max_backoff = std::chrono::milliseconds(200);
  env.config.outbox.max_attempts = 1000;
  env.config.limits.threads = 2;
  std::ofstream(env.config_file, std::ios::trunc) << renderGatewayConfigXml(env.config, env.workdir);
  const auto gateway_log = dir.path() / "gateway.log";

  const auto start = [&] {
    std::lock_guard lock(kill_mutex);
    gateway = startGateway(env.config_file, gateway_log);
    armed = true;
  };
  start();
  CoaSimulatorOptions push;
  push.gateway = {"127.0.0.1",      env.config.exchange.port, env.pkiDir() / "ca.pem", env.certificateOf("coa"),
                  env.keyOf("coa"), std::chrono::seconds(5)};
  push.count = 24;
  push.concurrency = 2;
  push.gemeente_cbs_codes = {"0518"};
  push.keep_trying = std::chrono::seconds(40);
  CoaSimulatorSummary summary;
  std::thread pusher([&] { summary = runCoaSimulator(push); });

  for (std::size_t k = 0; k < steps.size(); ++k) {
    const bool killed = waitUntil(
        [&] {
          std::lock_guard lock(kill_mutex);
          return kills > k;
        },
        std::chrono::seconds(40));
    if (!killed) {
      ::kill(gateway.load(), SIGKILL);
      pusher.join();
      FAIL() << "no call came " << steps[k].first << "\n" << logTail(gateway_log);
    }
    ::waitpid(gateway.load(), nullptr, 0);
    start();
  }
  pusher.join();
  EXPECT_EQ(summary.accepted, push.count);
  EXPECT_EQ(summary.unanswered, 0u);
  const std::size_t n = summary.accepted;
  const bool settled = waitUntil(
      [&] {
        return zgw->linkCount() >= 2 * n && deliveredInOutbox(env.config.storage_path) >= static_cast<std::int64_t>(n);
      },
      std::chrono::seconds(60));
  ::kill(gateway.load(), SIGTERM);
  ::waitpid(gateway.load(), nullptr, 0);
  zgw->stop();
  ASSERT_TRUE(settled) << zgw->linkCount() << " links, " << deliveredInOutbox(env.config.storage_path) << " delivered\n"
                       << logTail(gateway_log);

  // One of each per message, whatever was killed or lost on the way.
  EXPECT_EQ(zgw->zaakCount(), n);
  EXPECT_EQ(zgw->rolCount(), n);
  EXPECT_EQ(zgw->documentCount(), 2 * n);
  EXPECT_EQ(zgw->linkCount(), 2 * n);
  std::set<std::string> identificaties;
  for (const auto& z : zgw->zaken()) {
    identificaties.insert(textOf(z.zaak, "identificatie"));
    EXPECT_EQ(z.rollen.size(), 1u) << textOf(z.zaak, "identificatie");
    EXPECT_EQ(z.documents.size(), 2u) << textOf(z.zaak, "identificatie");
  }
  for (const std::string& id : summary.transaction_ids) {
    std::string identificatie = "KTP-";
    for (const char c : id) {
      if (c != '-') identificatie += c;
    }
    EXPECT_EQ(identificaties.count(identificatie), 1u) << id;
  }
  // The lost answers were found again by identificatie, not made twice.
  EXPECT_GT(zgw->failedOnPurpose(), 0u);
  EXPECT_GT(zgw->refusals()["identificatie-niet-uniek"], 0u);
  // Through every restart, no call went without its CRS headers or with a stale token.
  EXPECT_EQ(zgw->refusals()["missing-crs-header"], 0u);
  EXPECT_EQ(zgw->refusals()["not_authenticated"], 0u);

  const std::filesystem::path build = std::filesystem::path(KETENPOORT_BINARY).parent_path();
  const CommandResult checked = runCommand(
      {std::string(KETENPOORT_SOURCE_DIR) + "/tests/zgw/run", build.string(), recording.string()}, dir.path());
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
}

}  // namespace
}  // namespace ketenpoort::testing
