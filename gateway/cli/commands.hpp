#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/config/gateway_config.hpp"

namespace ketenpoort::cli {

// Arguments after the command name, e.g. {"--config", "x.xml"}.
using Args = std::vector<std::string>;

// A command called wrongly: its message (when it has one) and the command's usage go to
// stderr, and the command exits 2. Anything else a command throws exits 1.
struct UsageError : std::runtime_error {
  explicit UsageError(const std::string& message = {}) : std::runtime_error(message) {}
};

// A command's arguments, held against the flags it knows: a typo, or a flag without its
// value, is a UsageError at once rather than an option silently ignored.
class Flags {
 public:
  Flags(Args args, std::initializer_list<std::string_view> with_value,
        std::initializer_list<std::string_view> without_value = {});

  std::optional<std::string> value(std::string_view flag) const;
  std::string value(std::string_view flag, std::string_view fallback) const;
  std::string required(std::string_view flag) const;  // absent: UsageError
  std::vector<std::string> values(std::string_view flag) const;
  bool has(std::string_view flag) const;
  // A whole number in [min, max]; `fallback` when the flag is absent.
  std::int64_t number(std::string_view flag, std::int64_t fallback, std::int64_t min = 0,
                      std::int64_t max = INT64_MAX) const;
  double decimal(std::string_view flag, double fallback, double min, double max) const;
  std::uint16_t port(std::string_view flag) const;  // required
  std::optional<CivilDate> date(std::string_view flag) const;
  // One of `choices` (the first when the flag is absent).
  std::string choice(std::string_view flag, std::initializer_list<std::string_view> choices) const;
  // The config `--config` names; its problems are printed as file:line: message.
  GatewayConfig config() const;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> given_;  // flag, value
};

// Runs one command: UsageError → its message and `usage` on stderr, exit 2; any other
// exception → "ketenpoort NAME: message", exit 1.
int runCommand(std::string_view name, std::string_view usage, const std::function<int()>& body);

// A command of several: `args[0]` names the one to run with the rest of the arguments.
struct Subcommand {
  std::string_view name;
  std::function<int(const Args&)> run;
};
int runSubcommand(std::string_view command, std::string_view usage, const Args& args,
                  std::initializer_list<Subcommand> subcommands);

// Polls `condition` until it holds or `timeout` passes (the demo waiting for what it
// started; never on the gateway's own path).
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Rows as an aligned table, CSV (RFC 4180) or a JSON array of objects, per `format`.
void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                std::string_view format);

int serveCommand(const Args& args);
int checkConfigCommand(const Args& args);
int demoCommand(const Args& args);
int privacyModelCommand(const Args& args);
int logCommand(const Args& args);
int consentCommand(const Args& args);
int auditCommand(const Args& args);
int simulateCommand(const Args& args);
int dbCommand(const Args& args);
int reloadCommand(const Args& args);
int crlCommand(const Args& args);
// `demo --cluster`: two nodes on PostgreSQL behind HAProxy, one killed (demo_cluster.cpp).
int clusterDemo(const std::filesystem::path& workdir, std::size_t count);

}  // namespace ketenpoort::cli
