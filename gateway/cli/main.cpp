#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "gateway/calendar/time_source.hpp"
#include "gateway/cli/commands.hpp"
#include "gateway/config/config_loader.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort::cli {

Flags::Flags(Args args, std::initializer_list<std::string_view> with_value,
             std::initializer_list<std::string_view> without_value) {
  const auto in = [](std::initializer_list<std::string_view> known, const std::string& a) {
    return std::find(known.begin(), known.end(), a) != known.end();
  };
  // Read as pairs, so a value is never taken for a flag; a value that is one of the
  // command's own flags is a flag whose value was left out ("--workdir --cluster").
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (in(with_value, args[i])) {
      if (i + 1 >= args.size() || in(with_value, args[i + 1]) || in(without_value, args[i + 1])) {
        throw UsageError(args[i] + " needs a value");
      }
      given_.emplace_back(std::move(args[i]), std::move(args[i + 1]));
      ++i;
    } else if (in(without_value, args[i])) {
      given_.emplace_back(std::move(args[i]), std::nullopt);
    } else {
      throw UsageError("unknown argument " + args[i]);
    }
  }
}

std::vector<std::string> Flags::values(std::string_view flag) const {
  std::vector<std::string> found;
  for (const auto& [name, value] : given_) {
    if (name == flag && value) found.push_back(*value);
  }
  return found;
}

std::optional<std::string> Flags::value(std::string_view flag) const {
  auto found = values(flag);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::string Flags::value(std::string_view flag, std::string_view fallback) const {
  return value(flag).value_or(std::string(fallback));
}

std::string Flags::required(std::string_view flag) const {
  if (auto v = value(flag)) return *v;
  throw UsageError(std::string(flag) + " is required");
}

bool Flags::has(std::string_view flag) const {
  return std::any_of(given_.begin(), given_.end(), [flag](const auto& given) { return given.first == flag; });
}

std::int64_t Flags::number(std::string_view flag, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
  const auto text = value(flag);
  if (!text) return fallback;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < min || n > max) {
    throw UsageError(std::string(flag) + " must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return n;
}

double Flags::decimal(std::string_view flag, double fallback, double min, double max) const {
  const auto text = value(flag);
  if (!text) return fallback;
  double d = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), d);
  if (ec != std::errc() || end != text->data() + text->size() || !(d >= min && d <= max)) {
    throw UsageError(std::string(flag) + " must be a number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return d;
}

std::uint16_t Flags::port(std::string_view flag) const {
  required(flag);
  return static_cast<std::uint16_t>(number(flag, 0, 1, 65535));
}

std::optional<CivilDate> Flags::date(std::string_view flag) const {
  const auto text = value(flag);
  if (!text) return std::nullopt;
  if (auto d = parseIsoDate(*text)) return d;
  throw UsageError(std::string(flag) + " must be a date YYYY-MM-DD");
}

std::string Flags::choice(std::string_view flag, std::initializer_list<std::string_view> choices) const {
  std::string chosen = value(flag, *choices.begin());
  if (std::find(choices.begin(), choices.end(), chosen) != choices.end()) return chosen;
  std::string listed;
  for (const auto c : choices) listed += (listed.empty() ? "" : ", ") + std::string(c);
  throw UsageError(std::string(flag) + " must be one of " + listed);
}

GatewayConfig Flags::config() const {
  const std::string file = required("--config");
  ConfigLoadResult loaded = loadGatewayConfig(file);
  for (const auto& problem : loaded.problems) std::cerr << problem.str() << "\n";
  if (!loaded.config) throw std::runtime_error(file + ": " + std::to_string(loaded.problems.size()) + " problem(s)");
  return std::move(*loaded.config);
}

int runCommand(std::string_view name, std::string_view usage, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    if (*e.what() != '\0') std::cerr << "ketenpoort " << name << ": " << e.what() << "\n";
    std::cerr << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ketenpoort " << name << ": " << e.what() << "\n";
    return 1;
  }
}

int runSubcommand(std::string_view command, std::string_view usage, const Args& args,
                  std::initializer_list<Subcommand> subcommands) {
  for (const Subcommand& sub : subcommands) {
    if (!args.empty() && args[0] == sub.name) {
      const Args rest(args.begin() + 1, args.end());
      return runCommand(std::string(command) + " " + args[0], usage, [&] { return sub.run(rest); });
    }
  }
  std::cerr << usage;
  return 2;
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = systemTime().monotonicNow() + timeout;
  while (!condition()) {
    if (systemTime().monotonicNow() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

namespace {
// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
std::string csvField(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
}  // namespace

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                std::string_view format) {
  if (format == "json") {
    boost::json::array out;
    for (const auto& row : rows) {
      boost::json::object o;
      for (std::size_t i = 0; i < header.size() && i < row.size(); ++i) o[header[i]] = row[i];
      out.emplace_back(std::move(o));
    }
    std::cout << boost::json::serialize(out) << "\n";
    return;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], std::min<std::size_t>(row[i].size(), 60));
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (format == "csv") {
        std::cout << csvField(cells[i]) << (i + 1 < cells.size() ? "," : "\n");
      } else {
        const bool last = i + 1 == cells.size();
        std::printf("%-*s%s", last ? 0 : static_cast<int>(width[i]), cells[i].c_str(), last ? "\n" : "  ");
      }
    }
  };
  line(header);
  for (const auto& row : rows) line(row);
  std::fflush(stdout);
}

}  // namespace ketenpoort::cli

namespace {

constexpr const char* kUsage = R"(ketenpoort — data-exchange gateway for the inburgering chain

usage:
  ketenpoort serve --config FILE            run the gateway
  ketenpoort check-config --config FILE     validate a config; prints file:line: message
  ketenpoort reload --config FILE           check it, have the running gateway take it, print
                                            what changed (or why it was refused)
  ketenpoort demo --workdir DIR [--keep-running]
                                            make a development PKI and config in DIR,
                                            start the gateway and check every demo party
  ketenpoort demo --cluster --workdir DIR   two nodes on a private PostgreSQL behind HAProxy,
                                            one killed mid-run; what arrived, counted
  ketenpoort log verify|head|purge|export|activities|keys …
                                            check, witness, purge and export the exchange log
  ketenpoort db migrate --config FILE       bring a PostgreSQL store to this version's schema
  ketenpoort db backup --config FILE --to FILE
                                            a consistent copy of the running SQLite store
  ketenpoort crl fetch --config FILE        fetch the CRLs of tls/crl-source once, now
  ketenpoort audit exchanges|refusals|withheld|deliveries --config FILE --as OFFICER-ID …
                                            what the privacy officer can prove
  ketenpoort consent grant|withdraw|list --config FILE …
                                            register, withdraw and list consents
  ketenpoort simulate gemeente|toeslagen|coa|duo|taalschool …
                                            the chain's other systems, simulated
  ketenpoort privacy-model --mappings DIR   print the privacy model (Markdown) of the mappings
  ketenpoort help
Every command and flag: man ketenpoort (docs/man/ketenpoort.8). Exit status: 0 done,
1 failed, 2 called wrongly.
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
  const std::pair<std::string_view, int (*)(const Args&)> commands[] = {{"serve", serveCommand},
                                                                        {"check-config", checkConfigCommand},
                                                                        {"audit", auditCommand},
                                                                        {"consent", consentCommand},
                                                                        {"log", logCommand},
                                                                        {"db", dbCommand},
                                                                        {"reload", reloadCommand},
                                                                        {"privacy-model", privacyModelCommand},
                                                                        {"simulate", simulateCommand},
                                                                        {"demo", demoCommand},
                                                                        {"crl", crlCommand}};
  int status = 2;
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    status = 0;
  } else if (const auto* found = std::find_if(std::begin(commands), std::end(commands),
                                              [&](const auto& c) { return c.first == command; });
             found != std::end(commands)) {
    status = found->second(args);
  } else {
    std::cerr << "ketenpoort: unknown command \"" << command << "\"\n" << kUsage;
  }
  ketenpoort::diagnosticLog().flush();
  return status;
}
