#include "gateway/diagnostics/metrics.hpp"

#include <cstdio>
#include <mutex>

namespace ketenpoort {
namespace {

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string formatDouble(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// Finds the cell for a label set, creating it under the exclusive lock on first use.
template <typename Cell, typename Make>
Cell& findOrCreate(std::shared_mutex& mutex, std::map<std::vector<std::string>, std::unique_ptr<Cell>>& cells,
                   const std::vector<std::string>& labels, Make make) {
  {
    std::shared_lock lock(mutex);
    if (auto it = cells.find(labels); it != cells.end()) return *it->second;
  }
  std::unique_lock lock(mutex);
  auto& slot = cells[labels];
  if (!slot) slot = make();
  return *slot;
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

std::string MetricFamily::labelText(const std::vector<std::string>& values, const std::string& extra) const {
  std::string out;
  for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    if (!out.empty()) out.push_back(',');
    out += label_names_[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out.push_back(',');
    out += extra;
  }
  return out.empty() ? out : "{" + out + "}";
}

template <class Number>
std::atomic<Number>& NumberFamily<Number>::cell(const std::vector<std::string>& labels) {
  return findOrCreate(mutex_, cells_, labels, [] { return std::make_unique<std::atomic<Number>>(0); });
}

template <class Number>
Number NumberFamily<Number>::value(const std::vector<std::string>& labels) const {
  std::shared_lock lock(mutex_);
  auto it = cells_.find(labels);
  return it == cells_.end() ? 0 : it->second->load();
}

template <class Number>
void NumberFamily<Number>::render(std::string& out) const {
  out += "# HELP " + name_ + " " + help_ + "\n# TYPE " + name_ + " " + type_ + "\n";
  std::shared_lock lock(mutex_);
  for (const auto& [labels, cell] : cells_) {
    out += name_ + labelText(labels) + " " + std::to_string(cell->load()) + "\n";
  }
}

template class NumberFamily<std::uint64_t>;
template class NumberFamily<std::int64_t>;

void GaugeSetFamily::replace(std::map<std::vector<std::string>, std::int64_t> values) {
  std::unique_lock lock(mutex_);
  values_ = std::move(values);
}

std::map<std::vector<std::string>, std::int64_t> GaugeSetFamily::values() const {
  std::shared_lock lock(mutex_);
  return values_;
}

void GaugeSetFamily::render(std::string& out) const {
  out += "# HELP " + name_ + " " + help_ + "\n# TYPE " + name_ + " gauge\n";
  std::shared_lock lock(mutex_);
  for (const auto& [labels, value] : values_) out += name_ + labelText(labels) + " " + std::to_string(value) + "\n";
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds)
    : MetricFamily(std::move(name), std::move(help), std::move(label_names)), upper_bounds_(std::move(upper_bounds)) {}

HistogramFamily::Cell& HistogramFamily::cell(const std::vector<std::string>& labels) {
  return findOrCreate(mutex_, cells_, labels, [this] { return std::make_unique<Cell>(upper_bounds_.size() + 1); });
}

void HistogramFamily::observe(const std::vector<std::string>& labels, double value) {
  Cell& c = cell(labels);
  std::size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  c.bucket_counts[bucket].fetch_add(1, std::memory_order_relaxed);
  c.count.fetch_add(1, std::memory_order_relaxed);
  double sum = c.sum.load(std::memory_order_relaxed);
  while (!c.sum.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

std::uint64_t HistogramFamily::count(const std::vector<std::string>& labels) const {
  std::shared_lock lock(mutex_);
  auto it = cells_.find(labels);
  return it == cells_.end() ? 0 : it->second->count.load();
}

void HistogramFamily::render(std::string& out) const {
  out += "# HELP " + name_ + " " + help_ + "\n# TYPE " + name_ + " histogram\n";
  std::shared_lock lock(mutex_);
  for (const auto& [labels, c] : cells_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
      cumulative += c->bucket_counts[i].load();
      const std::string le = i < upper_bounds_.size() ? formatDouble(upper_bounds_[i]) : std::string("+Inf");
      out += name_ + "_bucket" + labelText(labels, "le=\"" + le + "\"") + " " + std::to_string(cumulative) + "\n";
    }
    out += name_ + "_sum" + labelText(labels) + " " + formatDouble(c->sum.load()) + "\n";
    out += name_ + "_count" + labelText(labels) + " " + std::to_string(c->count.load()) + "\n";
  }
}

GatewayMetrics::GatewayMetrics()
    : families_{&requests,
                &tls_handshake_failures,
                &connections_rejected,
                &request_duration,
                &open_connections,
                &connections_in_handshake,
                &requests_in_progress,
                &handshakes_evicted,
                &ready,
                &exchange_log_writable,
                &exchange_log_records,
                &delivery_attempts,
                &outbox_entries,
                &outbox_oldest_due_age,
                &purge_runs,
                &purge_last_completed,
                &crl_fetches,
                &crl_fetch_last_success,
                &certificate_expiry,
                &config_reloads} {}

std::string GatewayMetrics::renderPrometheus() const {
  std::string out;
  for (const MetricFamily* family : families_) family->render(out);
  return out;
}

}  // namespace ketenpoort
