#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>

#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort::cli {

std::optional<std::string> flagValue(const Args& args, const std::string& flag) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) return args[i + 1];
  }
  return std::nullopt;
}

bool hasFlag(const Args& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag) return true;
  }
  return false;
}

std::vector<std::string> unknownFlags(const Args& args, const std::vector<std::string>& with_value,
                                      const std::vector<std::string>& without_value) {
  std::vector<std::string> unknown;
  const auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (in(with_value, args[i])) {
      if (i + 1 >= args.size()) unknown.push_back(args[i] + " (needs a value)");
      ++i;
    } else if (!in(without_value, args[i])) {
      unknown.push_back(args[i]);
    }
  }
  return unknown;
}

std::optional<GatewayConfig> loadConfigOrReport(const std::string& file) {
  ConfigLoadResult loaded = loadGatewayConfig(file);
  for (const auto& problem : loaded.problems) std::cerr << problem.str() << "\n";
  return std::move(loaded.config);
}

std::string csvField(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace ketenpoort::cli

namespace {

constexpr const char* kUsage = R"(ketenpoort — data-exchange gateway for the inburgering chain

usage:
  ketenpoort serve --config FILE            run the gateway
  ketenpoort check-config --config FILE     validate a config; prints file:line: message
  ketenpoort demo --workdir DIR [--keep-running]
                                            make a development PKI and config in DIR,
                                            start the gateway and check every demo party
  ketenpoort demo --cluster --workdir DIR   two nodes on a private PostgreSQL behind HAProxy,
                                            one killed mid-run; what arrived, counted
  ketenpoort log verify --db FILE [--public-key FILE] [--witness FILE]
                                            check the exchange log's hash chain, chained
                                            checkpoints and signed head (and a witnessed
                                            head); names the first bad record
  ketenpoort log head --config FILE         print the log's signed head for a witness
  ketenpoort db migrate --config FILE       bring a PostgreSQL store to this version's schema
  ketenpoort audit exchanges|refusals|withheld --config FILE --as OFFICER-ID …
                                            what the privacy officer can prove
  ketenpoort consent grant|withdraw|list --config FILE …
                                            register, withdraw and list consents
  ketenpoort simulate gemeente|coa …       a gemeente's receiver; COA pushing profiles
  ketenpoort privacy-model --mappings DIR   print the privacy model (Markdown) of the mappings
  ketenpoort help
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ketenpoort::cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  int status = 2;
  if (command == "serve") {
    status = serveCommand(args);
  } else if (command == "check-config") {
    status = checkConfigCommand(args);
  } else if (command == "audit") {
    status = auditCommand(args);
  } else if (command == "consent") {
    status = consentCommand(args);
  } else if (command == "log") {
    status = logCommand(args);
  } else if (command == "db") {
    status = dbCommand(args);
  } else if (command == "privacy-model") {
    status = privacyModelCommand(args);
  } else if (command == "simulate") {
    status = simulateCommand(args);
  } else if (command == "demo") {
    status = demoCommand(args);
  } else if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    status = 0;
  } else {
    std::cerr << "ketenpoort: unknown command \"" << command << "\"\n" << kUsage;
  }
  ketenpoort::diagnosticLog().flush();
  return status;
}
