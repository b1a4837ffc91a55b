#include "gateway/runtime/gateway_server.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <shared_mutex>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/delivery_worker.hpp"
#include "gateway/gateway_store/scheduled_purge.hpp"
#include "gateway/http/network_server.hpp"
#include "gateway/runtime/config_check.hpp"
#include "gateway/runtime/crl_refresher.hpp"
#include "gateway/runtime/gateway_routes.hpp"
#include "gateway/runtime/service_manager.hpp"

namespace ketenpoort {
namespace {

using Generation = GatewayRoutes::Generation;

// What the mapping files hold, to see that a reload changed one: each file's name, size
// and a hash of its bytes.
std::string mappingsDigest(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::string digest;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    digest += file.lexically_relative(dir).string() + ":" + std::to_string(bytes.size()) + ":" +
              std::to_string(std::hash<std::string>{}(bytes)) + "\n";
  }
  return digest;
}

boost::json::array jsonList(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

// The ids and settings a reload changed, for the log record and /reloadz.
boost::json::object describe(const ConfigChanges& c, bool mappings) {
  boost::json::object out{
      {"parties_added", jsonList(c.parties_added)},           {"parties_removed", jsonList(c.parties_removed)},
      {"parties_changed", jsonList(c.parties_changed)},       {"agreements_added", jsonList(c.agreements_added)},
      {"agreements_removed", jsonList(c.agreements_removed)}, {"agreements_changed", jsonList(c.agreements_changed)}};
  boost::json::array settings;
  for (const auto& [changed, name] :
       {std::pair{mappings, "mappings"}, std::pair{c.limits, "limits"}, std::pair{c.outbox, "outbox"},
        std::pair{c.queries, "queries"}, std::pair{c.tls, "tls"}}) {
    if (changed) settings.emplace_back(name);
  }
  out["settings"] = std::move(settings);
  return out;
}

}  // namespace

struct GatewayServer::Impl {
  Impl(GatewayConfig c, ExchangeAdapters a, const TimeSource& k)
      : routes(std::move(c), std::move(a), k),
        started_on(routes.current()),
        mappings_digest(mappingsDigest(started_on->config.mappings_dir)),
        purge(started_on->config.purge_at
                  ? std::make_unique<ScheduledPurge>(routes.store, k, *started_on->config.purge_at)
                  : nullptr),
        network(started_on->config),
        delivery([this] { return deliveryRules(); }, routes.store.outbox(), routes.adapters, network.metrics(), k,
                 [this](std::function<void()> work) { onNetwork(std::move(work)); }) {
    last_reload.outcome = "started";
    for (const char* outcome : {"applied", "unchanged", "refused"}) {
      network.metrics().config_reloads.inc({"signal", outcome}, 0);
    }
  }

  // Runs `work` on a network thread while the network runs; after that it is dropped (a
  // coroutine it would resume goes with it; its entry waits in the outbox for the next
  // start). The log's writer calls this until the store closes, after the network.
  void onNetwork(std::function<void()> work) {
    std::shared_lock gate(network_gate);
    if (network_open) network.runOnNetwork(std::move(work));
  }

  DeliveryRules deliveryRules() const {
    std::shared_ptr<const Generation> generation = routes.current();
    const GatewayConfig* config = &generation->config;
    const DeliveryBasis* basis = &generation->basis;
    return {std::move(generation), config, basis};
  }

  GatewayRoutes::Workers workers() {
    return {[this](std::function<void()> work) { network.runBlocking(std::move(work)); },
            [this](std::function<void()> work) { network.runQuery(std::move(work)); },
            // After a durable write, on a network thread (so while the network runs).
            [this](OutboxEntry entry, std::shared_ptr<const std::string> body) {
              delivery.submit(std::move(entry), std::move(body));
            },
            [this](std::function<void()> work) { onNetwork(std::move(work)); }};
  }

  // The listeners' answers on `generation`: its routers, parties and limits.
  std::shared_ptr<const Routing> routingOn(const std::shared_ptr<const Generation>& generation) {
    const GatewayRoutes::Workers w = workers();
    return std::make_shared<const Routing>(
        Routing{routes.exchangeRouter(w, generation), routes.auditRouter(w, generation),
                PartyDirectory(generation->config), generation->config.limits, generation});
  }

  ReloadReport refuse(ReloadReport report) {
    report.outcome = "refused";
    report.generation = generation_number.load();
    network.metrics().config_reloads.inc({report.trigger, "refused"});
    logError(
        "config-reload-refused",
        {{"trigger", report.trigger}, {"problems", jsonList(report.problems)}, {"kept_generation", report.generation}});
    return report;
  }

  ReloadReport reload(const std::filesystem::path& file, const std::string& trigger) {
    std::lock_guard one_at_a_time(reload_mutex);
    ReloadReport report = reloadChecked(file, trigger);
    std::lock_guard lock(report_mutex);
    last_reload = report;
    ++reloads;  // after the report: whoever sees the count move reads this one
    return report;
  }

  ReloadReport reloadChecked(const std::filesystem::path& file, const std::string& trigger) {
    ReloadReport report;
    report.trigger = trigger;
    CheckedConfiguration checked = checkConfiguration(file);
    for (const auto& problem : checked.problems) report.problems.push_back(problem.str());
    if (!checked.ok()) return refuse(std::move(report));

    const std::shared_ptr<const Generation> before = routes.current();
    const ConfigChanges changes = compareConfigs(before->config, *checked.config);
    for (const auto& setting : changes.restart_only) {
      report.problems.push_back(file.string() + ": " + setting +
                                " changed: a running gateway cannot take that; restart it");
    }
    if (!report.problems.empty()) return refuse(std::move(report));
    const std::string digest = mappingsDigest(checked.config->mappings_dir);
    const bool mappings_changed = changes.mappings_dir || digest != mappings_digest;
    report.changes = describe(changes, mappings_changed);
    if (!changes.any() && !mappings_changed) {
      report.outcome = "unchanged";
      report.generation = generation_number.load();
      network.metrics().config_reloads.inc({trigger, "unchanged"});
      logInfo("config-reload-unchanged", {{"trigger", trigger}, {"generation", report.generation}});
      return report;
    }
    // TLS first: files that stopped loading since the check refuse the whole reload.
    if (changes.tls) {
      const auto problems = network.useTlsFiles(checked.config->tls);
      for (const auto& problem : problems) report.problems.push_back(file.string() + ": " + problem);
      if (!report.problems.empty()) return refuse(std::move(report));
    }
    std::shared_ptr<const Generation> next;
    try {
      // Agreements registered or ended (records in the exchange log) before anything
      // answers on the new configuration.
      next = routes.adopt(std::move(*checked.config), std::move(*checked.catalogue));
    } catch (const std::exception& e) {
      report.problems.emplace_back(e.what());
      return refuse(std::move(report));
    }
    network.replaceRouting(routingOn(next));
    mappings_digest = digest;
    report.outcome = "applied";
    report.generation = ++generation_number;
    network.metrics().config_reloads.inc({trigger, "applied"});
    boost::json::object logged = report.changes;
    logged["trigger"] = trigger;
    logged["generation"] = report.generation;
    logInfo("config-reloaded", std::move(logged));
    return report;
  }

  // What the ops listener's /reloadz answers.
  std::string reloadStatus() const {
    std::lock_guard lock(report_mutex);
    return boost::json::serialize(boost::json::object{{"pid", static_cast<std::int64_t>(::getpid())},
                                                      {"config", config_file.string()},
                                                      {"generation", generation_number.load()},
                                                      {"reloads", reloads},
                                                      {"last",
                                                       {{"outcome", last_reload.outcome},
                                                        {"trigger", last_reload.trigger},
                                                        {"generation", last_reload.generation},
                                                        {"problems", jsonList(last_reload.problems)},
                                                        {"changes", last_reload.changes}}}});
  }

  // The log's writer and the delivery reach the network until wait() closes this;
  // declared before the store (in routes), so it outlives the writer's last callbacks.
  std::shared_mutex network_gate;
  bool network_open = true;
  GatewayRoutes routes;
  // The configuration the gateway started on: its listeners, threads and store (what a
  // reload cannot change) are what the network and the purge were built from.
  const std::shared_ptr<const Generation> started_on;
  std::string mappings_digest;  // of the mappings in force (changed by a reload only)
  // The daily purge of records past their retention (none when storage/@purge-at is off);
  // stopped before the store closes.
  std::unique_ptr<ScheduledPurge> purge;
  // The network goes before delivery: deliveries run on its threads, and what is still
  // pending there when it goes is simply due again at the next start.
  NetworkServer network;
  DeliveryWorker delivery;  // destroyed (stopped) before the store it works on
  // Fetches the CRLs of tls/crl-source into the CRL directory (the file watch takes them).
  CrlRefresher crl_refresher{[this] { return routes.current()->config.tls; }, network.metrics()};
  bool started = false;

  std::filesystem::path config_file;  // what SIGHUP reloads (set at start)
  std::mutex reload_mutex;            // one reload at a time
  mutable std::mutex report_mutex;
  ReloadReport last_reload;
  std::atomic<std::uint64_t> generation_number{1};
  std::uint64_t reloads = 0;  // reloads tried (under report_mutex)
};

GatewayServer::GatewayServer(GatewayConfig config, ExchangeAdapters adapters, const TimeSource& clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(adapters), clock)) {
  // Deliveries run on the network threads; they and the questions to source systems
  // present the certificate the listeners hold, replaced with it.
  const auto gateway_tls = impl_->network.clientTls();
  if (impl_->routes.adapters.channel) impl_->routes.adapters.channel->open(impl_->network.network(), gateway_tls);
  if (impl_->routes.adapters.case_system) {
    impl_->routes.adapters.case_system->open(impl_->network.network(), gateway_tls);
  }
  for (const auto& [flow, source] : impl_->routes.adapters.source_by_flow) source->open(gateway_tls);
}

GatewayServer::~GatewayServer() {
  if (impl_->started) {
    impl_->network.stopNow();
    wait();
  }
}

void GatewayServer::start(bool handle_signals, std::filesystem::path config_file) {
  Impl& s = *impl_;
  s.delivery.start();
  s.routes.statistics.start();
  if (s.purge) s.purge->start(&s.network.metrics());
  s.crl_refresher.start();
  std::function<void()> on_hangup;
  s.config_file = config_file.empty() ? config_file : std::filesystem::absolute(config_file);
  if (!config_file.empty()) {
    on_hangup = [this, file = std::move(config_file)] {
      notifyServiceManager("RELOADING=1");
      reload(file, "signal");
      notifyServiceManager("READY=1");
    };
  }
  s.network.start(s.routingOn(s.routes.current()), &s.routes.store.log(), handle_signals, std::move(on_hangup),
                  [&s] { return s.reloadStatus(); });
  s.started = true;
  logInfo("exchange-ready", {{"flows", s.routes.current()->catalogue.flows.size()}});
}

GatewayServer::ReloadReport GatewayServer::reload(const std::filesystem::path& file, const std::string& trigger) {
  return impl_->reload(file, trigger);
}

GatewayServer::ReloadReport GatewayServer::lastReload() const {
  std::lock_guard lock(impl_->report_mutex);
  return impl_->last_reload;
}

void GatewayServer::drain() { impl_->network.drain(); }

bool GatewayServer::wait() {
  const bool in_time = impl_->network.wait();
  {
    std::unique_lock gate(impl_->network_gate);
    impl_->network_open = false;
  }
  // Undelivered entries stay in the outbox for the next start. The network has stopped:
  // the channel's connections go before the io_context they belong to.
  impl_->delivery.stop();
  impl_->routes.statistics.stop();
  if (impl_->purge) impl_->purge->stop();
  impl_->crl_refresher.stop();
  if (impl_->routes.adapters.channel) impl_->routes.adapters.channel->close();
  if (impl_->routes.adapters.case_system) impl_->routes.adapters.case_system->close();
  impl_->started = false;
  return in_time;
}

std::uint16_t GatewayServer::exchangePort() const { return impl_->network.exchangePort(); }
std::uint16_t GatewayServer::auditPort() const { return impl_->network.auditPort(); }
std::uint16_t GatewayServer::opsPort() const { return impl_->network.opsPort(); }
std::shared_ptr<const GatewayConfig> GatewayServer::config() const {
  std::shared_ptr<const Generation> generation = impl_->routes.current();
  return {generation, &generation->config};
}
const GatewayMetrics& GatewayServer::metrics() const { return impl_->network.metrics(); }
ExchangeLog& GatewayServer::exchangeLog() { return impl_->routes.store.log(); }
RegistryStore& GatewayServer::registries() { return impl_->routes.store.registries(); }
OutboxStore& GatewayServer::outbox() { return impl_->routes.store.outbox(); }

}  // namespace ketenpoort
