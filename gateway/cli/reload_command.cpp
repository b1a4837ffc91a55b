#include <signal.h>

#include <boost/json/parse.hpp>

#include <cerrno>
#include <iostream>
#include <system_error>

#include "gateway/cli/commands.hpp"
#include "gateway/http/ops_client.hpp"
#include "gateway/runtime/config_check.hpp"

namespace ketenpoort::cli {
namespace {

constexpr auto kAskTimeout = std::chrono::seconds(2);
constexpr auto kReloadTimeout = std::chrono::seconds(60);

std::string listed(const boost::json::value& items) {
  std::string out;
  for (const auto& item : items.as_array()) out += (out.empty() ? "" : ", ") + std::string(item.as_string());
  return out;
}

// What the gateway said about its last reload, as an operator reads it.
int report(const boost::json::object& last) {
  const std::string outcome(last.at("outcome").as_string());
  if (outcome == "refused") {
    std::cerr << "refused: the gateway runs on what it had (generation " << last.at("generation").as_int64() << ")\n";
    for (const auto& problem : last.at("problems").as_array()) std::cerr << problem.as_string() << "\n";
    return 1;
  }
  std::cout << outcome << ": generation " << last.at("generation").as_int64() << "\n";
  const auto& changes = last.at("changes").as_object();
  for (const auto& [key, value] : changes) {
    if (value.is_array() && !value.as_array().empty()) std::cout << "  " << key << ": " << listed(value) << "\n";
  }
  return 0;
}

int reload(const Args& args) {
  const Flags flags(args, {"--config"});
  const std::filesystem::path file = flags.required("--config");
  // Checked here first, as the gateway will: a file it would refuse is not sent.
  const CheckedConfiguration checked = checkConfiguration(file);
  for (const auto& problem : checked.problems) std::cerr << problem.str() << "\n";
  if (!checked.ok()) {
    std::cerr << file.string() << ": " << checked.problems.size()
              << " problem(s); the running gateway was not asked to reload\n";
    return 1;
  }
  const ListenerConfig& ops = checked.config->ops;
  const std::string where = ops.address + ":" + std::to_string(ops.port);
  const auto ask = [&ops]() -> std::optional<boost::json::object> {
    const auto answer = getFromOpsListener(ops, "/reloadz", kAskTimeout);
    if (!answer || answer->status != 200) return std::nullopt;
    boost::system::error_code ec;
    const boost::json::value status = boost::json::parse(answer->body, ec);
    if (ec || !status.is_object()) return std::nullopt;
    return status.as_object();
  };
  const auto before = ask();
  if (!before) throw std::runtime_error("no gateway answers /reloadz on its ops listener " + where);
  const std::filesystem::path running(std::string(before->at("config").as_string()));
  std::error_code ec;
  if (!std::filesystem::equivalent(running, file, ec)) {
    throw std::runtime_error("the gateway on " + where + " runs on " + running.string() + ", not on " + file.string());
  }
  const auto pid = static_cast<pid_t>(before->at("pid").as_int64());
  const std::int64_t reloads = before->at("reloads").as_int64();
  if (::kill(pid, SIGHUP) != 0) {
    throw std::runtime_error("cannot signal the gateway (process " + std::to_string(pid) +
                             "): " + std::error_code(errno, std::generic_category()).message() +
                             "; run as its user or as root");
  }
  std::optional<boost::json::object> after;
  const bool answered = waitFor(
      [&] {
        after = ask();
        return after && after->at("reloads").as_int64() > reloads;
      },
      kReloadTimeout);
  if (!answered) throw std::runtime_error("the gateway did not report the reload within a minute");
  return report(after->at("last").as_object());
}

}  // namespace

int reloadCommand(const Args& args) {
  return runCommand("reload", "usage: ketenpoort reload --config FILE   (man ketenpoort)\n",
                    [&] { return reload(args); });
}

}  // namespace ketenpoort::cli
