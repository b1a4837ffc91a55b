#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace ketenpoort {

// Minimal Prometheus metrics: families of counters, gauges and histograms keyed by label
// values. Label values must never carry personal data: routes are templates, reasons are
// codes. Updates are lock-free once a label set exists.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;
  virtual void render(std::string& out) const = 0;
  const std::string& name() const { return name_; }

 protected:
  std::string labelText(const std::vector<std::string>& values, const std::string& extra = {}) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// One number per label set: a counter's (only up) or a gauge's (either way).
template <class Number>
class NumberFamily : public MetricFamily {
 public:
  NumberFamily(std::string name, std::string help, std::vector<std::string> label_names, const char* type)
      : MetricFamily(std::move(name), std::move(help), std::move(label_names)), type_(type) {}
  Number value(const std::vector<std::string>& labels) const;
  void render(std::string& out) const override;

 protected:
  std::atomic<Number>& cell(const std::vector<std::string>& labels);

 private:
  const char* type_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<std::atomic<Number>>> cells_;
};

class CounterFamily : public NumberFamily<std::uint64_t> {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : NumberFamily(std::move(name), std::move(help), std::move(label_names), "counter") {}
  void inc(const std::vector<std::string>& labels, std::uint64_t n = 1) {
    cell(labels).fetch_add(n, std::memory_order_relaxed);
  }
};

class GaugeFamily : public NumberFamily<std::int64_t> {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> label_names)
      : NumberFamily(std::move(name), std::move(help), std::move(label_names), "gauge") {}
  void add(const std::vector<std::string>& labels, std::int64_t delta) {
    cell(labels).fetch_add(delta, std::memory_order_relaxed);
  }
  void set(const std::vector<std::string>& labels, std::int64_t value) {
    cell(labels).store(value, std::memory_order_relaxed);
  }
};

// A gauge whose label sets are all replaced at once: what exists changes (a certificate
// renewed, a CRL added, a recipient's queue emptied), and one that went must not linger.
class GaugeSetFamily : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void replace(std::map<std::vector<std::string>, std::int64_t> values);
  std::map<std::vector<std::string>, std::int64_t> values() const;
  void render(std::string& out) const override;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::int64_t> values_;
};

class HistogramFamily : public MetricFamily {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> upper_bounds);
  void observe(const std::vector<std::string>& labels, double value);
  std::uint64_t count(const std::vector<std::string>& labels) const;
  void render(std::string& out) const override;

 private:
  struct Cell {
    explicit Cell(std::size_t buckets) : bucket_counts(buckets) {}
    std::vector<std::atomic<std::uint64_t>> bucket_counts;  // non-cumulative per bucket
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0.0};
  };
  Cell& cell(const std::vector<std::string>& labels);

  std::vector<double> upper_bounds_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Cell>> cells_;
};

// The metrics the gateway exposes on the ops listener's /metrics.
class GatewayMetrics {
 public:
  GatewayMetrics();

  CounterFamily requests{"ketenpoort_http_requests_total",
                         "HTTP requests answered, by listener, route template and status",
                         {"listener", "route", "status"}};
  CounterFamily tls_handshake_failures{"ketenpoort_tls_handshake_failures_total",
                                       "Failed TLS handshakes by listener and reason",
                                       {"listener", "reason"}};
  CounterFamily connections_rejected{"ketenpoort_connections_rejected_total",
                                     "Connections closed at accept, by listener and reason",
                                     {"listener", "reason"}};
  HistogramFamily request_duration{"ketenpoort_http_request_duration_seconds",
                                   "Time from complete request header to response written",
                                   {"listener"},
                                   {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  GaugeFamily open_connections{"ketenpoort_open_connections", "Open connections by listener", {"listener"}};
  GaugeFamily requests_in_progress{"ketenpoort_requests_in_progress",
                                   "Requests whose first bytes arrived and whose answer is not written, by listener",
                                   {"listener"}};
  GaugeFamily connections_in_handshake{"ketenpoort_connections_in_handshake",
                                       "Connections whose TLS handshake has not finished, by listener",
                                       {"listener"}};
  CounterFamily handshakes_evicted{"ketenpoort_handshakes_evicted_total",
                                   "Connections closed during their TLS handshake to make room "
                                   "(max-handshakes, per-address, max-connections)",
                                   {"listener", "reason"}};
  GaugeFamily ready{"ketenpoort_ready", "1 when /readyz answers 200 (at the time of the scrape)", {}};
  GaugeFamily exchange_log_writable{
      "ketenpoort_exchange_log_writable", "1 when the last exchange-log commit succeeded", {}};
  GaugeFamily exchange_log_records{
      "ketenpoort_exchange_log_records", "Sequence number of the last durable exchange-log record", {}};

  CounterFamily delivery_attempts{"ketenpoort_delivery_attempts_total",
                                  "Delivery attempts to recipients' endpoints by outcome "
                                  "(delivered, failed, dead-letter)",
                                  {"outcome"}};
  GaugeFamily outbox_entries{
      "ketenpoort_outbox_entries", "Outbox entries by state (pending, postbus, dead-letter)", {"state"}};

  GaugeSetFamily outbox_oldest_due_age{
      "ketenpoort_outbox_oldest_due_age_seconds",
      "Per recipient with deliveries due: how long ago its oldest due entry was queued",
      {"recipient"}};
  CounterFamily purge_runs{"ketenpoort_purge_runs_total",
                           "Daily purges of records past their retention run by serve, by outcome "
                           "(done, interrupted by a stop, stopped by an error)",
                           {"outcome"}};
  GaugeFamily purge_last_completed{"ketenpoort_purge_last_completed_timestamp_seconds",
                                   "When serve's purge last ran to the end, as Unix time (absent until it has)",
                                   {}};
  CounterFamily crl_fetches{"ketenpoort_crl_fetch_total",
                            "CRLs fetched from their CAs' distribution points (tls/crl-source), by file of the CRL "
                            "directory and outcome (installed, unchanged, refused, failed)",
                            {"file", "outcome"}};
  GaugeFamily crl_fetch_last_success{"ketenpoort_crl_fetch_last_success_timestamp_seconds",
                                     "When a CRL source last answered with a CRL the gateway could take (installed "
                                     "or unchanged), as Unix time",
                                     {"file"}};
  GaugeSetFamily certificate_expiry{
      "ketenpoort_certificate_expiry_timestamp_seconds",
      "When a certificate the gateway holds (own) or trusts (ca) expires, and when a CRL's nextUpdate passes (crl), "
      "as Unix time",
      {"kind", "subject", "serial"}};
  CounterFamily config_reloads{"ketenpoort_config_reload_total",
                               "Reloads of the configuration or the TLS files, by what caused them and outcome "
                               "(applied, refused)",
                               {"trigger", "outcome"}};

  std::string renderPrometheus() const;

 private:
  std::vector<const MetricFamily*> families_;
};

}  // namespace ketenpoort
