#include <cstdio>
#include <iostream>

#include <boost/json/parse.hpp>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/demo/demo_environment.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/http/gateway_server.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort::cli {
namespace {

// Calls GET /v1/whoami as `party_id` and says whether the gateway recognised it.
bool checkParty(const DemoEnvironment& env, std::uint16_t port, const std::string& party_id,
                const std::string& expected_role) {
  HttpsClientOptions options;
  options.port = port;
  options.ca_bundle = env.pkiDir() / "ca.pem";
  options.certificate = env.certificateOf(party_id);
  options.private_key = env.keyOf(party_id);
  const auto result = httpsRequest(options, "GET", "/v1/whoami");
  if (const auto* error = std::get_if<std::string>(&result)) {
    std::printf("  %-15s FAILED: %s\n", party_id.c_str(), error->c_str());
    return false;
  }
  const auto& response = std::get<HttpsResponse>(result);
  boost::system::error_code ec;
  const auto json = boost::json::parse(response.body, ec);
  const bool ok = response.status == 200 && !ec && json.is_object() &&
                  json.as_object().contains("id") && json.at("id") == party_id.c_str() &&
                  json.at("role") == expected_role.c_str();
  std::printf("  %-15s %s %s\n", party_id.c_str(), ok ? "ok  " : "FAIL", response.body.c_str());
  return ok;
}

bool checkRefusedWithoutCertificate(const DemoEnvironment& env, std::uint16_t port) {
  HttpsClientOptions options;
  options.port = port;
  options.ca_bundle = env.pkiDir() / "ca.pem";
  const auto result = httpsRequest(options, "GET", "/v1/whoami");
  const bool refused = std::holds_alternative<std::string>(result);
  std::printf("  %-15s %s\n", "(no cert)",
              refused ? "ok   refused during the TLS handshake" : "FAIL: was answered");
  return refused;
}

}  // namespace

int demoCommand(const Args& args) {
  const auto unknown = unknownFlags(args, {"--workdir"}, {"--keep-running"});
  const auto workdir = flagValue(args, "--workdir");
  if (!unknown.empty() || !workdir) {
    std::cerr << "usage: ketenpoort demo --workdir DIR [--keep-running]\n";
    return 2;
  }
  const bool keep_running = hasFlag(args, "--keep-running");
  try {
    const DemoEnvironment env = createDemoEnvironment(*workdir, DemoPorts{});
    // Load the written file back, exactly as `serve --config` would.
    ConfigLoadResult loaded = loadGatewayConfig(env.config_file);
    if (!loaded.config) {
      for (const auto& problem : loaded.problems) std::cerr << problem.str() << "\n";
      return 1;
    }
    GatewayServer server(std::move(*loaded.config));
    server.start(/*handle_signals=*/true);
    diagnosticLog().flush();

    const auto port = server.exchangePort();
    const std::string dir = env.workdir.string();
    std::printf("\nketenpoort demo — gateway up in test mode\n");
    std::printf("  config   %s\n  pki      %s/pki\n  exchange https://127.0.0.1:%u\n"
                "  audit    https://127.0.0.1:%u\n  ops      http://127.0.0.1:%u/metrics\n\n",
                env.config_file.c_str(), dir.c_str(), port, server.auditPort(),
                server.opsPort());
    std::printf("Self-check: GET /v1/whoami as every demo party\n");
    bool ok = true;
    for (const DemoParty& p : demoParties()) {
      ok = checkParty(env, port, p.id, std::string(toString(p.role))) && ok;
    }
    ok = checkRefusedWithoutCertificate(env, port) && ok;
    std::printf("\nTry it yourself:\n"
                "  curl --cert %1$s/pki/gemeente-0363.pem --key %1$s/pki/gemeente-0363.key "
                "--cacert %1$s/pki/ca.pem https://127.0.0.1:%2$u/v1/whoami\n"
                "  curl http://127.0.0.1:%3$u/metrics\n"
                "  build/ketenpoort check-config --config %4$s\n\n",
                dir.c_str(), port, server.opsPort(), env.config_file.c_str());
    std::fflush(stdout);
    if (keep_running && ok) {
      std::printf("Running; Ctrl-C (SIGINT) or SIGTERM drains and stops the gateway.\n");
      std::fflush(stdout);
    } else {
      server.drain();
    }
    const bool drained = server.wait();
    return ok && drained ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort demo: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ketenpoort::cli
