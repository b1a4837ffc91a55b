// Every listener's routes through the Router, without a socket (issue 26): the same
// GatewayRoutes the server puts behind its listeners, with workers of the test's own.
// What needs a socket (TLS, framing, timeouts, drain) stays in tests/integration.
#include <gmock/gmock.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/standard_adapters.hpp"
#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/runtime/gateway_routes.hpp"
#include "gateway/store/identifiers.hpp"
#include "tests/support/temp_dir.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;

// Two threads that run what the routes hand to their blocking and query executors.
class Workers {
 public:
  Workers() {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] {
        std::vector<std::function<void()>> batch;
        for (bool more = true; more;) {
          more = queue_.popBatch(batch, 1, std::chrono::hours(1));
          for (auto& work : batch) work();
        }
      });
    }
  }
  ~Workers() {
    queue_.close();
    for (auto& t : threads_) t.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  void run(std::function<void()> work) {
    if (!queue_.push(work)) throw std::runtime_error("the test's workers are full");
  }

 private:
  BatchQueue<std::function<void()>> queue_{1024};
  std::vector<std::thread> threads_;
};

class RouteTest : public ::testing::Test {
 protected:
  RouteTest()
      : env_(createDemoEnvironment(dir_.path() / "gw", DemoPorts{0, 0, 0})),
        routes_(env_.config, standardAdapters(env_.config), clock_),
        exchange_(routes_.exchangeRouter(workers())),
        audit_(routes_.auditRouter(workers())) {}

  GatewayRoutes::Workers workers() {
    return {[this](std::function<void()> work) { pool_.run(std::move(work)); },
            [this](std::function<void()> work) { pool_.run(std::move(work)); },
            [this](OutboxEntry entry, std::shared_ptr<const std::string>) {
              std::lock_guard lock(mutex_);
              submitted_.push_back(std::move(entry));
            }};
  }

  // A request as the listener hands it on: the caller identified, header names in lower
  // case, the query string apart.
  ApiResponse call(Router& router, const std::string& party, std::string method, const std::string& target,
                   std::map<std::string, std::string> headers = {}, std::string body = {}) {
    ApiRequest request;
    request.method = std::move(method);
    const auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    for (auto& [name, value] : headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      request.headers[lower] = value;
    }
    request.body = std::move(body);
    request.caller = routes_.current()->config.findPartyById(party);
    Router::Outcome outcome = router.dispatch(request);
    if (!outcome.async) return outcome.response;
    auto answered = std::make_shared<std::promise<ApiResponse>>();
    auto future = answered->get_future();
    outcome.async(std::move(request), [answered](ApiResponse response) { answered->set_value(std::move(response)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << target << " was not answered";
      return {};
    }
    return future.get();
  }

  ApiResponse push(const std::string& purpose, const std::string& document,
                   std::map<std::string, std::string> headers = {}) {
    headers["Content-Type"] = "application/xml";
    headers["X-Doelbinding"] = purpose;
    return call(exchange_, "coa", "POST", "/v1/berichten/coa.klantprofiel", std::move(headers), document);
  }

  static std::string code(const ApiResponse& r) {
    return std::string(boost::json::parse(r.body).as_object().at("code").as_string());
  }

  std::vector<LoggedExchange> logged(const std::string& flow) {
    ExchangeQuery q;
    q.whole_log = true;
    q.flow = flow;
    return routes_.store.log().findExchanges(q);
  }

  std::size_t submitted() {
    std::lock_guard lock(mutex_);
    return submitted_.size();
  }

  static std::string profile() {
    return readFile(std::filesystem::path(KETENPOORT_SOURCE_DIR) / "tests/data/klantprofiel.xml");
  }

  TempDir dir_;
  SimulatedTime clock_;
  DemoEnvironment env_;
  GatewayRoutes routes_;
  std::mutex mutex_;
  std::vector<OutboxEntry> submitted_;
  Workers pool_;  // before the routers: they hold work for it, and it goes first
  Router exchange_;
  Router audit_;
};

TEST_F(RouteTest, AnAllowedPushIsAcceptedLoggedQueuedAndHandedToDelivery) {
  const ApiResponse r = push("regie-inburgering", profile());
  ASSERT_EQ(r.status, 202u) << r.body;
  const auto records = logged("coa.klantprofiel");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.outcome, ExchangeOutcome::kQueued);
  EXPECT_EQ(records[0].record.time_utc, clock_.nowRfc3339()) << "stamped by the routes' time source";
  EXPECT_EQ(submitted(), 1u);
  const auto entry = routes_.store.outbox().find(records[0].record.transaction_id);
  ASSERT_TRUE(entry.has_value()) << "queued in the record's transaction";
  EXPECT_TRUE(routes_.store.outbox().body(entry->transaction_id).has_value());
}

TEST_F(RouteTest, ARefusalAnswersTheVocabularysCodeAndIsLoggedWithIt) {
  const ApiResponse r = push("elip", profile());
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(code(r), "purpose-mismatch");
  const auto records = logged("coa.klantprofiel");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.reason, reasonName(Reason::kPurposeMismatch));
  EXPECT_EQ(submitted(), 0u);
}

TEST_F(RouteTest, AReplayedTransactionHearsTheFirstAnswerAndIsQueuedOnce) {
  const std::string id = newUuidV7();
  const ApiResponse first = push("regie-inburgering", profile(), {{"X-Transaction-Id", id}});
  ASSERT_EQ(first.status, 202u) << first.body;
  const ApiResponse again = push("regie-inburgering", profile(), {{"X-Transaction-Id", id}});
  EXPECT_EQ(again.status, 202u);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(logged("coa.klantprofiel").size(), 1u);
  EXPECT_EQ(submitted(), 1u);
  // Another request under the same id belongs to nobody but its first sender.
  std::string other = profile();
  other.replace(other.find("<gemeentecode>0363"), 18, "<gemeentecode>0518");
  EXPECT_EQ(code(push("regie-inburgering", other, {{"X-Transaction-Id", id}})), "transaction-conflict");
}

// Amsterdam has no endpoint in the demo: its messages wait in its postbus, shown to it
// alone, until it acknowledges them; the sender and the recipient may ask what became of
// one, anyone else hears it does not exist.
TEST_F(RouteTest, APostbusMessageIsShownToItsRecipientOnlyUntilAcknowledged) {
  const ApiResponse pushed = push("regie-inburgering", profile());
  ASSERT_EQ(pushed.status, 202u) << pushed.body;
  const std::string id(boost::json::parse(pushed.body).at("transactie_id").as_string());
  const auto messages = [this](const std::string& party) {
    const ApiResponse r = call(exchange_, party, "GET", "/v1/postbus");
    EXPECT_EQ(r.status, 200u) << r.body;
    return boost::json::parse(r.body).at("berichten").as_array().size();
  };
  EXPECT_EQ(messages("gemeente-0363"), 1u);
  EXPECT_EQ(messages("gemeente-0518"), 0u);
  EXPECT_EQ(call(exchange_, "coa", "GET", "/v1/transacties/" + id).status, 200u);
  EXPECT_EQ(code(call(exchange_, "gemeente-0518", "GET", "/v1/transacties/" + id)), "not-found");
  EXPECT_EQ(call(exchange_, "gemeente-0518", "POST", "/v1/postbus/" + id + "/ack").status, 404u);
  EXPECT_EQ(call(exchange_, "gemeente-0363", "POST", "/v1/postbus/" + id + "/ack").status, 204u);
  EXPECT_EQ(messages("gemeente-0363"), 0u);
  EXPECT_FALSE(routes_.store.outbox().body(id).has_value()) << "the body goes with the acknowledgement";
}

TEST_F(RouteTest, WhoamiAndTheFlowsAnswerTheCaller) {
  const ApiResponse me = call(exchange_, "coa", "GET", "/v1/whoami");
  ASSERT_EQ(me.status, 200u);
  EXPECT_THAT(me.body, HasSubstr(routes_.current()->config.findPartyById("coa")->oin.str()));
  const ApiResponse flows = call(exchange_, "coa", "GET", "/v1/flows");
  ASSERT_EQ(flows.status, 200u);
  EXPECT_THAT(flows.body, HasSubstr("coa.klantprofiel"));
}

TEST_F(RouteTest, ABsnInAQueryUrlIsRefusedBeforeAnythingIsAsked) {
  const ApiResponse r = call(exchange_, "gemeente-0363", "GET", "/v1/bevragingen/duo.inburgeringsstatus?bsn=725763863");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(code(r), "bsn-in-url");
  EXPECT_TRUE(logged("duo.inburgeringsstatus").empty());
}

TEST_F(RouteTest, AnUnknownPathAndAWrongMethodAreProblems) {
  EXPECT_EQ(code(call(exchange_, "coa", "GET", "/v1/onbekend")), "not-found");
  EXPECT_EQ(code(call(exchange_, "coa", "GET", "/v1/berichten/coa.klantprofiel")), "method-not-allowed");
}

TEST_F(RouteTest, AnOfficersAuditQueryIsRecordedBeforeItIsAnswered) {
  ASSERT_EQ(push("regie-inburgering", profile()).status, 202u);
  const ApiResponse r = call(audit_, "fg-0363", "GET", "/v1/audit/exchanges");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("exchanges").as_array().size(), 1u);
  const auto trail = logged(std::string(internal_flows::kAuditQuery));
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].record.reason, reasonName(Reason::kAuditQuery));
  EXPECT_EQ(trail[0].record.time_utc, clock_.nowRfc3339());
  // Another organisation's officer sees none of it.
  const ApiResponse other = call(audit_, "fg-0518", "GET", "/v1/audit/exchanges");
  EXPECT_TRUE(boost::json::parse(other.body).at("exchanges").as_array().empty());
}

TEST_F(RouteTest, TheConsoleIsAPageWithItsSecurityHeadersAndTheFlowsWordsInDutch) {
  ASSERT_EQ(push("elip", profile()).status, 403u);
  const ApiResponse overview = call(audit_, "fg-0363", "GET", "/console");
  ASSERT_EQ(overview.status, 200u) << overview.body;
  EXPECT_THAT(overview.content_type, HasSubstr("text/html"));
  const auto has = [&overview](const std::string& name) {
    return std::any_of(overview.headers.begin(), overview.headers.end(),
                       [&name](const auto& h) { return h.first == name; });
  };
  EXPECT_TRUE(has("Content-Security-Policy"));
  const auto refused = logged("coa.klantprofiel");
  ASSERT_EQ(refused.size(), 1u);
  const ApiResponse page =
      call(audit_, "fg-0363", "GET", "/console/uitwisselingen/" + std::to_string(refused[0].sequence));
  ASSERT_EQ(page.status, 200u) << page.body;
  EXPECT_THAT(page.body, HasSubstr(std::string(reasonType(Reason::kPurposeMismatch).dutch)));
  // The purpose the sender stated, in the mappings' words.
  EXPECT_THAT(page.body, HasSubstr(*routes_.current()->catalogue.purposeInDutch("elip")));
}

TEST_F(RouteTest, TheLogInTheShapeOfTheLdvIsAnsweredToAPostOnly) {
  ASSERT_EQ(push("regie-inburgering", profile()).status, 202u);
  // A query that can name a person takes its parameters in a POSTed JSON body only.
  EXPECT_EQ(call(audit_, "fg-0363", "GET", "/v1/ldv/processing-activities").status, 405u);
  const ApiResponse r =
      call(audit_, "fg-0363", "POST", "/v1/ldv/processing-activities", {{"Content-Type", "application/json"}}, "{}");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(boost::json::parse(r.body).at("records").as_array().size(), 1u);
  EXPECT_THAT(r.body, HasSubstr("regie-inburgering"));
}

TEST_F(RouteTest, ARequestAnotherSiteMadeIsRefusedBeforeAnythingIsRecorded) {
  const ApiResponse r = call(audit_, "fg-0363", "GET", "/v1/audit/exchanges", {{"Sec-Fetch-Site", "cross-site"}});
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(code(r), "cross-site-request");
  EXPECT_TRUE(logged(std::string(internal_flows::kAuditQuery)).empty());
}

}  // namespace
}  // namespace ketenpoort::testing
