#pragma once

#include <cstdint>
#include <memory>

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
  // begin a drain (a second signal stops at once).
  void start(bool handle_signals);

  // Stops accepting, turns /readyz unready, lets requests in flight finish, closes idle
  // connections. Thread-safe and idempotent.
  void drain();

  // Blocks until the server has stopped. True when every connection ended within the
  // drain timeout.
  bool wait();

  std::uint16_t exchangePort() const;
  std::uint16_t auditPort() const;
  std::uint16_t opsPort() const;
  const GatewayConfig& config() const;
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
