// The ketenpoort binary as an operator runs it: check-config's output and exit codes,
// serve draining on a real SIGTERM, and the shell script's PKI working with the gateway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <sqlite3.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/config/config_writer.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/gateway_store/gateway_store.hpp"
#include "gateway/runtime/gateway_server.hpp"
#include "gateway/sqlite_store/sqlite_exchange_log.hpp"
#include "gateway/store/identifiers.hpp"
#include "gateway/store/subject_reference.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls_client.hpp"

namespace ketenpoort::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CheckConfig, AcceptsTheDemoConfig) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const CommandResult run = runCommand({KETENPOORT_BINARY, "check-config", "--config", env.config_file}, dir.path());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(": ok (mode test, 9 parties, 9 flows)"));
}

TEST(CheckConfig, PrintsFileLineMessageForEveryProblemAndFails) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  std::string xml = readFile(env.config_file);
  xml.replace(xml.find("<storage"), 8, "<storage colour=\"blue\"");
  xml.replace(xml.find("00000099100000000002"), 20, "00000099100000000001");  // duplicate OIN
  xml.replace(xml.find("</parties>"), 0, "<printer/>\n");
  std::ofstream(env.config_file) << xml;

  // The lines where the edits landed, counted here so the test follows the demo config.
  const auto lineOf = [&](const std::string& text, std::size_t from = 0) {
    const auto at = xml.find(text, from);
    return std::to_string(1 + std::count(xml.begin(), xml.begin() + static_cast<long>(at), '\n'));
  };
  const std::string first_coa = lineOf("00000099100000000001");
  const std::string duplicate = lineOf("00000099100000000001", xml.find("00000099100000000001") + 20);

  const CommandResult run = runCommand({KETENPOORT_BINARY, "check-config", "--config", env.config_file}, dir.path());
  EXPECT_EQ(run.exit_code, 1);
  const std::string f = env.config_file.string();
  EXPECT_THAT(run.err, HasSubstr(f + ":" + lineOf("<storage") + ": unknown attribute \"colour\" on <storage>"));
  EXPECT_THAT(run.err, HasSubstr(f + ":" + duplicate + ": duplicate OIN 00000099100000000001 (first at line " +
                                 first_coa + ")"));
  EXPECT_THAT(run.err, HasSubstr(f + ":" + lineOf("<printer/>") + ": unknown element <printer> in <parties>"));
  EXPECT_THAT(run.err, HasSubstr("3 problem(s)"));
}

TEST(CheckConfig, RefusesMappingsThatGiveMedicalDataToTheGemeente) {
  TempDir dir;
  const auto mappings = dir.path() / "mappings";
  std::filesystem::copy(KETENPOORT_SOURCE_DIR "/mappings", mappings, std::filesystem::copy_options::recursive);
  const auto flow = mappings / "flows" / "coa.klantprofiel.xml";
  std::string xml = readFile(flow);
  const std::string anchor = R"(    <allow field="persoon.bsn"/>)";
  xml.replace(xml.find(anchor), anchor.size(), anchor + "\n" + R"(    <allow field="medisch.diagnosen[]"/>)");
  std::ofstream(flow) << xml;
  const int line =
      1 + static_cast<int>(std::count(
              xml.begin(), xml.begin() + static_cast<long>(xml.find("<allow field=\"medisch.diagnosen[]\"/>")), '\n'));
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{}, mappings);

  const CommandResult run = runCommand({KETENPOORT_BINARY, "check-config", "--config", env.config_file}, dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(flow.string() + ":" + std::to_string(line) +
                                 ": field \"medisch.diagnosen[]\" is special:health (AVG art. 9)"));
  // And the gateway refuses to start on them.
  const CommandResult serve = runCommand({KETENPOORT_BINARY, "serve", "--config", env.config_file}, dir.path());
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_THAT(serve.err, HasSubstr("is special:health"));
}

TEST(CheckConfig, ReportsTlsFilesThatDoNotLoad) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  std::filesystem::remove(env.pkiDir() / "gateway.key");
  const CommandResult run = runCommand({KETENPOORT_BINARY, "check-config", "--config", env.config_file}, dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(env.config_file.string() + ":8: cannot load private key"));
}

TEST(CheckConfig, UsageErrorsExitTwo) {
  TempDir dir;
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "check-config"}, dir.path()).exit_code, 2);
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "check-config", "--config", "x", "--bogus"}, dir.path()).exit_code, 2);
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "frobnicate"}, dir.path()).exit_code, 2);
  // A flag's value left out is not filled by the next flag (a workdir named "--cluster").
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "demo", "--workdir", "--cluster"}, dir.path()).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "--cluster"));
  EXPECT_EQ(
      runCommand({KETENPOORT_BINARY, "log", "purge", "--config", "x", "--as-of", "tomorrow"}, dir.path()).exit_code, 2);
}

TEST(Demo, RefusesAWorkdirHoldingDataItDidNotMake) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "w" / "data");
  { std::ofstream(dir.path() / "w" / "data" / "ketenpoort.db") << "someone's exchange log"; }
  const auto r = runCommand({KETENPOORT_BINARY, "demo", "--workdir", (dir.path() / "w").string()}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("holds data the demo did not make"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "w" / "data" / "ketenpoort.db"));
}

TEST(Serve, RefusesToStartOnABadConfig) {
  TempDir dir;
  std::ofstream(dir.path() / "bad.xml") << "<ketenpoort><parties/></ketenpoort>";
  const CommandResult run = runCommand({KETENPOORT_BINARY, "serve", "--config", (dir.path() / "bad.xml")}, dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("missing required element <tls>"));
}

// As systemd runs it (Type=notify): the gateway says READY=1 on $NOTIFY_SOCKET once it
// accepts, and SIGTERM drains.
TEST(Serve, SaysReadyToTheServiceManagerAndSigtermDrainsTheRequestInFlight) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{0, 0, 0});
  const auto err_file = dir.path() / "serve.err";
  const std::string notify_path = (dir.path() / "notify.sock").string();
  const int notify_socket = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(notify_socket, 0);
  sockaddr_un notify_address{};
  notify_address.sun_family = AF_UNIX;
  ASSERT_LT(notify_path.size(), sizeof notify_address.sun_path);
  std::copy(notify_path.begin(), notify_path.end(), notify_address.sun_path);
  ASSERT_EQ(::bind(notify_socket, reinterpret_cast<const sockaddr*>(&notify_address), sizeof notify_address), 0);
  const timeval receive_timeout{10, 0};
  ::setsockopt(notify_socket, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
  // Everything the child needs is made before the fork: between fork and exec it only
  // opens, duplicates and executes (no allocation, no stdio lock another thread may hold).
  std::string notify_variable = "NOTIFY_SOCKET=" + notify_path;
  std::vector<char*> child_environment;
  for (char** variable = environ; *variable != nullptr; ++variable) child_environment.push_back(*variable);
  child_environment.push_back(notify_variable.data());
  child_environment.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int err_fd = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err_fd < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) _exit(126);
    ::execle(KETENPOORT_BINARY, KETENPOORT_BINARY, "serve", "--config", env.config_file.c_str(),
             static_cast<char*>(nullptr), child_environment.data());
    _exit(127);
  }
  // The "listening" line names the ports the kernel chose.
  std::uint16_t exchange_port = 0, ops_port = 0;
  ASSERT_TRUE(waitUntil(
      [&] {
        std::istringstream lines(readFile(err_file));
        for (std::string line; std::getline(lines, line);) {
          if (line.find("\"event\":\"listening\"") == std::string::npos) continue;
          const auto json = boost::json::parse(line).as_object();
          exchange_port = static_cast<std::uint16_t>(json.at("exchange_port").as_int64());
          ops_port = static_cast<std::uint16_t>(json.at("ops_port").as_int64());
          return true;
        }
        return false;
      },
      std::chrono::seconds(10)))
      << readFile(err_file);
  std::array<char, 64> notified{};
  const ssize_t notified_bytes = ::recv(notify_socket, notified.data(), notified.size(), 0);
  ::close(notify_socket);
  ASSERT_GT(notified_bytes, 0) << "no message on NOTIFY_SOCKET";
  EXPECT_EQ(std::string(notified.data(), static_cast<std::size_t>(notified_bytes)), "READY=1");
  EXPECT_EQ(plainHttpGet(ops_port, "/readyz").status, 200);

  TestTlsClient client(exchange_port, {env.pkiDir() / "ca.pem", env.certificateOf("coa"), env.keyOf("coa"), 0, 0, {}});
  ASSERT_EQ(client.connectAndHandshake(), "");
  ASSERT_EQ(client.writeRaw("GET /v1/whoami HTTP/1.1\r\n"), "");
  // SIGTERM once the gateway has the partial request in hand.
  ASSERT_TRUE(waitUntil([&] {
    return plainHttpGet(ops_port, "/metrics").body.find("ketenpoort_requests_in_progress{listener=\"exchange\"} 1") !=
           std::string::npos;
  }));

  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_TRUE(waitUntil([&] { return plainHttpGet(ops_port, "/readyz").status == 503; }));
  ASSERT_EQ(client.writeRaw("Host: 127.0.0.1\r\n\r\n"), "");
  const auto response = client.readResponse();
  ASSERT_TRUE(response) << client.lastError();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->headers.at("connection"), "close");

  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string log = readFile(err_file);
  EXPECT_THAT(log, HasSubstr("\"event\":\"signal\""));
  EXPECT_THAT(log, HasSubstr("\"event\":\"drained\""));
}

TEST(ConsentAndLog, GrantWithdrawVerifyAndTamperThroughTheCommandLine) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const std::string config = env.config_file.string();
  const std::string bsn = "725763863";  // synthetic
  const CommandResult grant =
      runCommand({KETENPOORT_BINARY, "consent", "grant", "--config", config, "--bsn", bsn, "--purpose", "elip",
                  "--recipient", "gemeente-0363", "--evidence", "dms://toestemming/881", "--granted", "2025-10-01"},
                 dir.path());
  ASSERT_EQ(grant.exit_code, 0) << grant.err;
  const std::string id = grant.out.substr(0, grant.out.find('\n'));
  EXPECT_TRUE(id.starts_with("consent-"));

  const CommandResult listed = runCommand(
      {KETENPOORT_BINARY, "consent", "list", "--config", config, "--as", "fg-0363", "--bsn", bsn, "--format", "csv"},
      dir.path());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(id + ",elip,00000099200000000363,dms://toestemming/881,2025-10-01,,,active"));

  EXPECT_EQ(
      runCommand({KETENPOORT_BINARY, "consent", "withdraw", "--config", config, "--id", id, "--date", "2025-12-01"},
                 dir.path())
          .exit_code,
      0);
  EXPECT_EQ(
      runCommand({KETENPOORT_BINARY, "consent", "withdraw", "--config", config, "--id", id}, dir.path()).exit_code,
      1);  // already withdrawn
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "consent", "grant", "--config", config, "--bsn", "123456789", "--purpose",
                        "elip", "--recipient", "gemeente-0363", "--evidence", "x"},
                       dir.path())
                .exit_code,
            2);  // not a BSN

  const std::string db = (env.workdir / "data" / "ketenpoort.db").string();
  const CommandResult intact = runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path());
  EXPECT_EQ(intact.exit_code, 0) << intact.out << intact.err;
  // grant, the recorded listing, withdraw; the refused withdrawal left nothing.
  EXPECT_THAT(intact.out, HasSubstr("intact, 3 records"));
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "consent", "list", "--config", config}, dir.path()).exit_code,
            2);  // a listing needs the privacy officer who asks

  // No BSN anywhere in the database files.
  for (const auto& entry : std::filesystem::directory_iterator(env.workdir / "data")) {
    EXPECT_EQ(readFile(entry.path()).find(bsn), std::string::npos) << entry.path();
  }

  // The FG keeps the signed head as a witness; the log then grows and still extends it.
  const CommandResult head = runCommand({KETENPOORT_BINARY, "log", "head", "--config", config}, dir.path());
  ASSERT_EQ(head.exit_code, 0) << head.err;
  EXPECT_THAT(head.out, HasSubstr("\"sequence\":3"));
  const auto witness = dir.path() / "witness.json";
  std::ofstream(witness) << head.out;
  ASSERT_EQ(runCommand({KETENPOORT_BINARY, "consent", "grant", "--config", config, "--bsn", bsn, "--purpose", "elip",
                        "--recipient", "gemeente-0363", "--evidence", "dms://toestemming/882"},
                       dir.path())
                .exit_code,
            0);
  const CommandResult extended =
      runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db, "--witness", witness.string()}, dir.path());
  EXPECT_EQ(extended.exit_code, 0) << extended.out << extended.err;
  EXPECT_THAT(extended.out, HasSubstr("extends the witnessed head at record 3"));
  // Cutting the newest record off: the head no longer matches, whether or not a witness is given.
  ASSERT_EQ(runCommand({"/usr/bin/sqlite3", db, "DELETE FROM exchange_log WHERE seq = 4"}, dir.path()).exit_code, 0);
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path()).exit_code, 1);

  // What an insider with the sqlite3 tool would do.
  const CommandResult tampered =
      runCommand({"/usr/bin/sqlite3", db, "UPDATE exchange_log SET purpose = 'ontzorgen' WHERE seq = 2"}, dir.path());
  ASSERT_EQ(tampered.exit_code, 0) << tampered.err;
  const CommandResult caught = runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path());
  EXPECT_EQ(caught.exit_code, 1);
  EXPECT_THAT(caught.out, HasSubstr("first bad sequence number 2"));
}

// `log purge`: what is past its retention on the given day goes, the last record stays,
// and `log verify` still proves what remains; a record that was altered stops the purge.
int thisYear() { return static_cast<int>(todayUtc().year()); }

TEST(ConsentAndLog, PurgeThroughTheCommandLine) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const std::string config = env.config_file.string();
  ASSERT_EQ(runCommand({KETENPOORT_BINARY, "consent", "grant", "--config", config, "--bsn", "725763863", "--purpose",
                        "elip", "--recipient", "gemeente-0363", "--evidence", "dms://1"},
                       dir.path())
                .exit_code,
            0);
  // Four listings: four records of the access trail, kept five years.
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(
        runCommand({KETENPOORT_BINARY, "consent", "list", "--config", config, "--as", "fg-0363"}, dir.path()).exit_code,
        0);
  }
  const std::string db = (env.workdir / "data" / "ketenpoort.db").string();
  EXPECT_EQ(
      runCommand({KETENPOORT_BINARY, "log", "purge", "--config", config, "--as-of", "4-12-2026"}, dir.path()).exit_code,
      2);
  // Issue 25, item 9: a day after today would destroy keys still in use: only on purpose.
  const CommandResult future =
      runCommand({KETENPOORT_BINARY, "log", "purge", "--config", config, "--as-of", "2200-01-01"}, dir.path());
  EXPECT_EQ(future.exit_code, 2);
  EXPECT_THAT(future.err, HasSubstr("--allow-future"));
  const CommandResult today = runCommand({KETENPOORT_BINARY, "log", "purge", "--config", config}, dir.path());
  EXPECT_EQ(today.exit_code, 0) << today.out << today.err;
  EXPECT_THAT(today.out, HasSubstr("purged 0 record(s)"));
  EXPECT_THAT(today.out, Not(HasSubstr("destroyed"))) << "no key is older than this year";
  const CommandResult live = runCommand({KETENPOORT_BINARY, "log", "keys", "--config", config}, dir.path());
  EXPECT_EQ(live.exit_code, 0) << live.err;
  EXPECT_THAT(live.out, HasSubstr("live"));

  ASSERT_EQ(
      runCommand({"/usr/bin/sqlite3", db, "UPDATE exchange_log SET reason = 'x' WHERE seq = 3"}, dir.path()).exit_code,
      0);
  const CommandResult refused = runCommand(
      {KETENPOORT_BINARY, "log", "purge", "--config", config, "--as-of", "2200-01-01", "--allow-future"}, dir.path());
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.out, HasSubstr("record 3 was altered"));
  ASSERT_EQ(
      runCommand({"/usr/bin/sqlite3", db, "UPDATE exchange_log SET reason = 'audit-query' WHERE seq = 3"}, dir.path())
          .exit_code,
      0);

  const CommandResult later = runCommand(
      {KETENPOORT_BINARY, "log", "purge", "--config", config, "--as-of", "2200-01-01", "--allow-future"}, dir.path());
  EXPECT_EQ(later.exit_code, 0) << later.out << later.err;
  // The consent's record is kept as long as the registries keep history (P7Y); the
  // newest listing stays as the log's last record.
  EXPECT_THAT(later.out, HasSubstr("purged 4 record(s) whose retention ended before 2200-01-01"));
  // Kept: the newest listing and the purge's own record, which moves the signed head.
  EXPECT_THAT(later.out, HasSubstr("the log: intact, 2 records kept, 4 removed under 1 signed purge record(s)"));
  // Every year before 2200 is over: every key is destroyed, and none is made again.
  EXPECT_THAT(later.out, HasSubstr("destroyed the pseudonym key of " + std::to_string(thisYear() + 5)));
  const CommandResult keys = runCommand({KETENPOORT_BINARY, "log", "keys", "--config", config}, dir.path());
  EXPECT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_THAT(keys.out, HasSubstr(std::to_string(thisYear() + 5) + "  "));
  EXPECT_THAT(keys.out, Not(HasSubstr("live")));
  const CommandResult verified = runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path());
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_THAT(verified.out, HasSubstr("4 records removed under 1 signed purge record(s)"));
  // The purge record taken away: the records are gone with nothing to say why.
  ASSERT_EQ(runCommand({"/usr/bin/sqlite3", db, "DELETE FROM log_purges"}, dir.path()).exit_code, 0);
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path()).exit_code, 1);
}

// The log as LDV records: one line per data subject per exchange, valid against the
// schema kept in docs/, the sender's span as parent and foreign operation, never a BSN;
// the processing activities they name are in the register.
TEST(ConsentAndLog, TheLdvExportMatchesItsSchemaAndNamesNoBsn) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const std::string config = env.config_file.string();
  const std::vector<std::string> bsns{"725763863", "111222333"};  // synthetic
  {
    GatewayStore store(env.config);
    for (std::size_t i = 0; i < bsns.size(); ++i) {
      ExchangeRecord r;
      r.transaction_id = newUuidV7();
      r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
      r.time_utc = "2026-12-04T10:00:00.000Z";
      r.flow = "coa.klantprofiel";
      r.sender_oin = env.config.findPartyById("coa")->oin.str();
      r.recipient_oin = env.config.findPartyById("gemeente-0363")->oin.str();
      r.purpose = "regie-inburgering";
      r.subject_ref = store.referencer().reference({SubjectKey::Kind::kBsn, bsns[i]});
      r.outcome = i == 0 ? ExchangeOutcome::kQueued : ExchangeOutcome::kRefused;
      r.reason = i == 0 ? "" : "no-koppeling";
      if (i == 0) r.foreign_span_id = "00f067aa0ba902b7";
      r.retention_until = "2031-12-04";
      ASSERT_TRUE(store.log().appendAndWait(r).ok);
    }
    ExchangeRecord nobody;  // about no person: not an LDV record
    nobody.transaction_id = newUuidV7();
    nobody.trace_id = newTraceId();
    nobody.time_utc = "2026-12-04T10:00:01.000Z";
    nobody.flow = "ketenpoort.audit-query";
    ASSERT_TRUE(store.log().appendAndWait(nobody).ok);
  }
  const CommandResult exported =
      runCommand({KETENPOORT_BINARY, "log", "export", "--config", config, "--format", "ldv"}, dir.path());
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), 2);
  for (const auto& bsn : bsns) EXPECT_EQ(exported.out.find(bsn), std::string::npos);
  EXPECT_THAT(exported.out, HasSubstr("\"parent_span_id\":\"00f067aa0ba902b7\""));
  EXPECT_THAT(exported.out, HasSubstr("\"dpl.core.foreign_operation.processor\":\"" +
                                      env.config.findPartyById("coa")->oin.str() + "\""));
  EXPECT_THAT(exported.out, HasSubstr("\"status_code\":\"ERROR\""));
  const auto file = dir.path() / "ldv.jsonl";
  std::ofstream(file) << exported.out;
  const std::string schema = std::string(KETENPOORT_SOURCE_DIR) + "/docs/ldv/ldv-record.schema.json";
  const std::string validate = std::string(KETENPOORT_SOURCE_DIR) + "/tests/ldv/validate";
  const CommandResult valid = runCommand({validate, schema, file.string()}, dir.path());
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  // The check can fail: a line naming a person by BSN is refused.
  std::string with_bsn = exported.out.substr(0, exported.out.find('\n'));
  const auto ref_at = with_bsn.find("\"dpl.core.data_subject_id\":\"") + 28;
  with_bsn.replace(ref_at, 64, bsns[0]);
  std::ofstream(file, std::ios::app) << with_bsn << "\n";
  EXPECT_EQ(runCommand({validate, schema, file.string()}, dir.path()).exit_code, 1);

  // The period: nothing on 5 December.
  const CommandResult later = runCommand(
      {KETENPOORT_BINARY, "log", "export", "--config", config, "--format", "ldv", "--from", "2026-12-05"}, dir.path());
  EXPECT_EQ(later.exit_code, 0);
  EXPECT_TRUE(later.out.empty());
  EXPECT_EQ(
      runCommand({KETENPOORT_BINARY, "log", "export", "--config", config, "--format", "csv"}, dir.path()).exit_code, 2);

  const CommandResult activities =
      runCommand({KETENPOORT_BINARY, "log", "activities", "--config", config, "--format", "json"}, dir.path());
  ASSERT_EQ(activities.exit_code, 0) << activities.err;
  const auto listed = boost::json::parse(activities.out).as_array();
  const auto first = boost::json::parse(exported.out.substr(0, exported.out.find('\n')));
  const auto activity_id = first.at("attributes").at("dpl.core.processing_activity_id").as_string();
  bool found = false;
  for (const auto& a : listed) {
    if (a.at("id").as_string() == activity_id) {
      found = true;
      EXPECT_EQ(a.at("flow").as_string(), "coa.klantprofiel");
      EXPECT_FALSE(a.at("retention").as_string().empty());
      EXPECT_FALSE(a.at("legal_basis").as_string().empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST(Audit, OfficerSeesOwnOrganisationsExchangesAndEveryQueryIsRecorded) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const std::string config = env.config_file.string();
  {
    std::string xml = readFile(env.config_file);
    xml.replace(xml.find(R"(busy-timeout-ms="5000")"), 22, R"(busy-timeout-ms="200")");
    std::ofstream(env.config_file) << xml;
  }
  const auto data = env.workdir / "data";
  std::filesystem::create_directories(data);
  const auto referencer = SubjectReferencer::loadOrCreate(data / "subject.key");
  const std::string bsn = "725763863";  // synthetic
  const std::string other = "162275869";
  {
    ExchangeLogOptions o;
    o.database = data / "ketenpoort.db";
    o.signing_key = data / "log-signing.key";
    SqliteExchangeLog log(o);
    const auto append = [&](const std::string& subject, const char* recipient, ExchangeOutcome outcome,
                            const char* reason, std::vector<WithheldField> withheld) {
      ExchangeRecord r;
      r.transaction_id = newUuidV7();
      r.time_utc = "2025-11-0" + std::to_string(1 + log.lastSequence() % 5) + "T10:00:00.000Z";
      r.flow = "coa.klantprofiel";
      r.sender_oin = "00000099100000000001";
      r.recipient_oin = recipient;
      r.purpose = "regie-inburgering";
      r.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
      r.subject_ref = referencer.reference({SubjectKey::Kind::kBsn, subject});
      r.outcome = outcome;
      r.reason = reason;
      r.fields_withheld = std::move(withheld);
      if (outcome == ExchangeOutcome::kDelivered) r.fields_delivered = {"persoon.bsn"};
      ASSERT_TRUE(log.appendAndWait(r).ok);
    };
    append(bsn, "00000099200000000363", ExchangeOutcome::kDelivered, "",
           {{"medisch.diagnosen[0]", "special-category"}, {"medisch.diagnosen[1]", "special-category"}});
    append(bsn, "00000099200000000518", ExchangeOutcome::kRefused, "no-koppeling", {});
    append(other, "00000099200000000363", ExchangeOutcome::kRefused, "law-regime", {});
  }
  const auto audit = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{KETENPOORT_BINARY, "audit"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const char* a : {"--config", "", "--as", "fg-0363"}) argv.push_back(a);
    argv[argv.size() - 3] = config;
    return runCommand(argv, dir.path());
  };

  // The access report: Amsterdam's privacy officer sees Amsterdam's exchange about this
  // person, not the refused attempt towards 's-Gravenhage.
  const CommandResult report = audit({"exchanges", "--bsn", bsn, "--format", "csv"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr(",coa.klantprofiel,coa,gemeente-0363,regie-inburgering,"));
  EXPECT_THAT(report.out, HasSubstr("medisch.diagnosen[0] (special-category)"));
  EXPECT_THAT(report.out, ::testing::Not(HasSubstr("gemeente-0518")));
  EXPECT_EQ(std::count(report.out.begin(), report.out.end(), '\n'), 2);  // header + 1

  // Periods are whole days, both ends inclusive (records fall on 1, 2 and 3 November).
  const CommandResult day3 = audit({"exchanges", "--from", "2025-11-03", "--to", "2025-11-03", "--format", "csv"});
  ASSERT_EQ(day3.exit_code, 0) << day3.err;
  EXPECT_THAT(day3.out, HasSubstr(",refused,law-regime,"));
  EXPECT_EQ(std::count(day3.out.begin(), day3.out.end(), '\n'), 2);
  const CommandResult until1 = audit({"exchanges", "--to", "2025-11-01", "--format", "csv"});
  EXPECT_THAT(until1.out, HasSubstr(",delivered,"));
  EXPECT_EQ(std::count(until1.out.begin(), until1.out.end(), '\n'), 2);

  const CommandResult refusals = audit({"refusals", "--format", "json"});
  ASSERT_EQ(refusals.exit_code, 0) << refusals.err;
  EXPECT_THAT(refusals.out, HasSubstr(R"({"flow":"coa.klantprofiel","reason":"law-regime","refusals":"1"})"));
  EXPECT_THAT(refusals.out, ::testing::Not(HasSubstr("no-koppeling")));

  const CommandResult withheld = audit({"withheld"});
  ASSERT_EQ(withheld.exit_code, 0) << withheld.err;
  EXPECT_THAT(withheld.out, ::testing::ContainsRegex("coa.klantprofiel +medisch.diagnosen\\[\\] +special-category +2"));

  // Each of those five queries is in the log, chained, naming who asked, without a BSN.
  const std::string db = (data / "ketenpoort.db").string();
  const CommandResult queries = runCommand(
      {"/usr/bin/sqlite3", db,
       "SELECT sender_oin, purpose, fields_delivered FROM exchange_log WHERE flow = 'ketenpoort.audit-query'"},
      dir.path());
  EXPECT_EQ(std::count(queries.out.begin(), queries.out.end(), '\n'), 5) << queries.out;
  EXPECT_THAT(queries.out, HasSubstr("00000099400000000363|audit:exchanges|"));
  EXPECT_THAT(queries.out, HasSubstr("subject=by-bsn"));
  EXPECT_EQ(runCommand({KETENPOORT_BINARY, "log", "verify", "--db", db}, dir.path()).exit_code, 0);
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    EXPECT_EQ(readFile(entry.path()).find(bsn), std::string::npos) << entry.path();
  }

  // Only privacy officers ask.
  std::vector<std::string> as_gemeente{KETENPOORT_BINARY, "audit", "exchanges", "--config", config, "--as",
                                       "gemeente-0363"};
  EXPECT_EQ(runCommand(as_gemeente, dir.path()).exit_code, 2);

  // A query that cannot be recorded is not answered.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto before = std::chrono::steady_clock::now();
  const CommandResult refused = audit({"exchanges"});
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("not answered"));
  EXPECT_THAT(refused.out, ::testing::Not(HasSubstr("coa.klantprofiel")));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(30));
}

TEST(Audit, DeliveriesShowTheOfficersOwnDeadLettersAndTheQueryIsRecorded) {
  TempDir dir;
  const auto env = createDemoEnvironment(dir.path() / "demo", DemoPorts{});
  const auto config = loadGatewayConfig(env.config_file);
  ASSERT_TRUE(config.config) << config.problems.front().message;
  std::string dead_for_amsterdam;
  {
    GatewayStore store(*config.config);
    // One message each for Amsterdam and 's-Gravenhage; both end as dead-letters, a third
    // for Amsterdam is still pending.
    const auto queue = [&](const std::string& recipient_id) {
      const Party* recipient = config.config->findPartyById(recipient_id);
      OutboxEntry entry;
      entry.transaction_id = newUuidV7();
      entry.trace_id = newTraceId();
      entry.flow = "coa.klantprofiel";
      entry.purpose = "regie-inburgering";
      entry.legal_basis = "Besluit inburgering 2021 art. 9.4 lid 3";
      entry.sender_oin = config.config->findPartyById("coa")->oin.str();
      entry.recipient_party_id = recipient_id;
      entry.recipient_oin = recipient->oin.str();
      entry.created_utc = systemTime().nowRfc3339();
      ExchangeRecord r;
      r.transaction_id = entry.transaction_id;
      r.time_utc = entry.created_utc;
      r.flow = entry.flow;
      r.sender_oin = entry.sender_oin;
      r.recipient_oin = entry.recipient_oin;
      r.purpose = entry.purpose;
      r.legal_basis = entry.legal_basis;
      r.outcome = ExchangeOutcome::kQueued;
      EXPECT_TRUE(store.log().appendAndWait(r, [entry](StoreTransaction& tx) { tx.enqueueDelivery(entry, "{}"); }).ok);
      return entry.transaction_id;
    };
    dead_for_amsterdam = queue("gemeente-0363");
    const std::string dead_for_den_haag = queue("gemeente-0518");
    queue("gemeente-0363");
    // Written by the log's writer, which the store drains before it closes.
    const auto written = [](bool ok, const std::string& error) { EXPECT_TRUE(ok) << error; };
    store.outbox().recordFailure(*store.outbox().find(dead_for_amsterdam), "http-503", std::nullopt, written);
    store.outbox().recordFailure(*store.outbox().find(dead_for_den_haag), "connect-refused", std::nullopt, written);
  }
  const auto audit = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{KETENPOORT_BINARY,        "audit", "deliveries", "--config",
                                  env.config_file.string(), "--as",  "fg-0363"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return runCommand(argv, dir.path());
  };

  const CommandResult dead = audit({"--state", "dead-letter", "--format", "csv"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_THAT(dead.out, HasSubstr(",coa.klantprofiel,coa,gemeente-0363,endpoint,dead-letter,1,http-503,"));
  EXPECT_THAT(dead.out, HasSubstr(dead_for_amsterdam));
  EXPECT_THAT(dead.out, ::testing::Not(HasSubstr("gemeente-0518")));
  EXPECT_EQ(std::count(dead.out.begin(), dead.out.end(), '\n'), 2) << dead.out;  // header + 1

  const CommandResult all = audit({"--format", "json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(boost::json::parse(all.out).as_array().size(), 2u) << all.out;
  EXPECT_THAT(all.out, HasSubstr(R"("state":"pending")"));

  EXPECT_EQ(audit({"--state", "lost"}).exit_code, 2);
  EXPECT_EQ(audit({"--bsn", "725763863"}).exit_code, 2);  // the outbox holds no subject

  const CommandResult queries =
      runCommand({"/usr/bin/sqlite3", (env.workdir / "data" / "ketenpoort.db").string(),
                  "SELECT purpose, fields_delivered FROM exchange_log WHERE flow = 'ketenpoort.audit-query'"},
                 dir.path());
  EXPECT_EQ(std::count(queries.out.begin(), queries.out.end(), '\n'), 2) << queries.out;
  EXPECT_THAT(queries.out, HasSubstr("audit:deliveries|"));
  EXPECT_THAT(queries.out, HasSubstr("state=dead-letter"));
}

TEST(DevPkiScript, MakesCertificatesTheGatewayAccepts) {
  TempDir dir;
  const auto pki = dir.path() / "pki";
  const CommandResult run = runCommand({"/bin/bash", KETENPOORT_SOURCE_DIR "/certs/make-dev-pki.sh", pki}, dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const DemoParty& p : demoParties()) {
    struct stat st {};
    ASSERT_EQ(::stat((pki / (std::string(p.id) + ".key")).c_str(), &st), 0) << p.id;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << p.id;
  }
  // A gateway configured on the script's files identifies the script's party certificates.
  DemoEnvironment reference = createDemoEnvironment(dir.path() / "ref", DemoPorts{0, 0, 0});
  GatewayConfig config = reference.config;
  config.tls = {pki / "ca.pem", pki / "gateway.pem", pki / "gateway.key"};
  GatewayServer server(config);
  server.start(false);
  for (const char* id : {"gemeente-0363", "fg-0363"}) {
    TestTlsClient client(
        server.exchangePort(),
        {pki / "ca.pem", pki / (std::string(id) + ".pem"), pki / (std::string(id) + ".key"), 0, 0, {}});
    const auto response = client.request("GET", "/v1/whoami");
    ASSERT_TRUE(response) << client.lastError();
    EXPECT_EQ(response->status, 200u);
    EXPECT_EQ(boost::json::parse(response->body).at("id"), id);
  }
  // The demo's own certificates come from another CA and are refused.
  TestTlsClient stranger(server.exchangePort(),
                         {pki / "ca.pem", reference.certificateOf("coa"), reference.keyOf("coa"), 0, 0, {}});
  EXPECT_FALSE(stranger.request("GET", "/v1/whoami"));
  server.drain();
  EXPECT_TRUE(server.wait());
}

TEST(DevPkiScript, RefusesAMalformedOin) {
  TempDir dir;
  std::ofstream(dir.path() / "parties.txt") << "coa 12345\n";
  const CommandResult run = runCommand(
      {"/bin/bash", KETENPOORT_SOURCE_DIR "/certs/make-dev-pki.sh", dir.path() / "pki", dir.path() / "parties.txt"},
      dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("OIN must be 20 digits"));
}

}  // namespace
}  // namespace ketenpoort::testing
