#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "gateway/calendar/time_source.hpp"
#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/tls/crl_update.hpp"

namespace ketenpoort {

// Keeps the CRLs of tls/crl-source current: at start and every tls/@crl-fetch-minutes,
// each source's CRL is fetched (HTTP or HTTPS) and offered to its file in the CRL
// directory (installCrl: signed by the bundle's CA, newer than the file, written whole).
// The TLS file watch then takes it, as a CRL an operator copied there. A thread of its
// own: a slow distribution point holds up neither a request nor a reload. Sources and
// interval are read from the settings in force at each round, so a reload changes them.
class CrlRefresher {
 public:
  using CurrentTls = std::function<TlsFiles()>;

  CrlRefresher(CurrentTls current, GatewayMetrics& metrics, const TimeSource& clock = systemTime());
  ~CrlRefresher();
  CrlRefresher(const CrlRefresher&) = delete;
  CrlRefresher& operator=(const CrlRefresher&) = delete;

  void start();
  void stop();

  // One round now, on the caller's thread: every source fetched and offered. What became
  // of each, in the order of the configuration.
  struct Fetched {
    CrlSource source;
    CrlUpdate update;
  };
  std::vector<Fetched> refreshAll();
  // Rounds the thread has completed since start: what a test waits for.
  std::uint64_t rounds() const { return rounds_.load(); }

 private:
  void run();

  CurrentTls current_;
  GatewayMetrics& metrics_;
  const TimeSource& clock_;
  BatchQueue<int> wake_{1};  // closed by stop(); its timeout paces the rounds
  std::atomic<std::uint64_t> rounds_{0};
  std::thread thread_;
};

}  // namespace ketenpoort
