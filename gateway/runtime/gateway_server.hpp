#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "gateway/calendar/time_source.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/registry_store.hpp"

namespace ketenpoort {

// The running gateway, and the composition root: builds the mapping catalogue, the store,
// the policy engine, delivery and the routes, and puts them behind the network
// (NetworkServer, gateway/http). No network library here.
//
// Lifecycle: construct (loads TLS material, binds every port; throws std::runtime_error
// with a readable message when that fails) → start() → … → drain() from any thread or a
// signal → wait() returns once every connection is done or the drain timeout passed.
class GatewayServer {
 public:
  // `adapters` are the wire formats and delivery channel (adapters/standard_adapters.hpp
  // for the shipped ones); with none, pushes are refused for want of an adapter.
  // `clock` decides dates and retry times (tests move a SimulatedTime); it must outlive
  // the server.
  explicit GatewayServer(GatewayConfig config, ExchangeAdapters adapters = {}, const TimeSource& clock = systemTime());
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // Starts accepting on the network threads. With handle_signals, SIGTERM and SIGINT
  // begin a drain (a second signal stops at once), and SIGHUP reloads `config_file` (when
  // given: the file the configuration was read from).
  void start(bool handle_signals, std::filesystem::path config_file = {});

  // What a reload did: "applied" (the configuration in force is the file's now),
  // "unchanged" (the file holds what is in force), or "refused" (nothing changed; the
  // problems say why, each as check-config says it).
  struct ReloadReport {
    std::string outcome;
    std::vector<std::string> problems;
    boost::json::object changes;   // party and agreement ids, what else changed; never personal data
    std::uint64_t generation = 1;  // of the configuration in force after it
    std::string trigger;           // "signal", or the caller's word
  };
  // Reads `file` again and checks it completely (as check-config); when it holds, makes it
  // the configuration for every new connection, request and delivery attempt: parties and
  // their OINs and endpoints, agreements (registered, or ended today, each a record in the
  // exchange log), mappings, limits, the TLS files. What is under way finishes on what it
  // began with. A setting a running gateway cannot take (listeners, threads, store, mode,
  // signal thresholds) refuses the whole reload. Logged (`config-reloaded`,
  // `config-reload-refused`) and counted (ketenpoort_config_reload_total). One at a time;
  // thread-safe.
  ReloadReport reload(const std::filesystem::path& file, const std::string& trigger);
  ReloadReport lastReload() const;

  // Stops accepting, turns /readyz unready, lets requests in flight finish, closes idle
  // connections. Thread-safe and idempotent.
  void drain();

  // Blocks until the server has stopped. True when every connection ended within the
  // drain timeout.
  bool wait();

  std::uint16_t exchangePort() const;
  std::uint16_t auditPort() const;
  std::uint16_t opsPort() const;
  // The configuration in force (a reload replaces it; this one lives while held).
  std::shared_ptr<const GatewayConfig> config() const;
  const GatewayMetrics& metrics() const;
  // The exchange log the gateway writes (opened at construction, closed with it).
  ExchangeLog& exchangeLog();
  // Koppeling, agreements (seeded from the config) and consents.
  RegistryStore& registries();
  // The outbox deliveries are taken from.
  OutboxStore& outbox();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ketenpoort
