#include "gateway/console/exchange_statistics.hpp"

#include <algorithm>

#include <chrono>

#include "gateway/audit/audit_queries.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

namespace {

// Records read per query: a round reads the backlog in pages of this many.
constexpr std::size_t kPage = 5000;

}  // namespace

ExchangeStatistics::ExchangeStatistics(const ExchangeLog& log, std::vector<std::string> organisation_oins)
    : log_(log), organisations_(std::move(organisation_oins)) {
  for (const auto& oin : organisations_) summaries_[oin];
}

ExchangeStatistics::~ExchangeStatistics() { stop(); }

void ExchangeStatistics::follow(const std::vector<std::string>& organisation_oins) {
  std::lock_guard one(refresh_mutex_);
  for (const auto& oin : organisation_oins) {
    if (std::find(organisations_.begin(), organisations_.end(), oin) != organisations_.end()) continue;
    organisations_.push_back(oin);
    std::lock_guard lock(mutex_);
    summaries_[oin];
  }
}

void ExchangeStatistics::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void ExchangeStatistics::stop() {
  wake_.close();
  if (thread_.joinable()) thread_.join();
}

void ExchangeStatistics::run() {
  std::vector<int> batch;
  bool readable = true;
  while (wake_.popBatch(batch, 1, std::chrono::seconds(1))) {
    const bool now_readable = refresh();
    // Said once per change, not every second.
    if (now_readable != readable)
      logInfo(now_readable ? "console-statistics-resumed" : "console-statistics-unreadable", {});
    readable = now_readable;
  }
}

bool ExchangeStatistics::refresh() {
  std::lock_guard one(refresh_mutex_);
  for (const auto& oin : organisations_) {
    std::uint64_t after = 0;
    {
      std::lock_guard lock(mutex_);
      after = summaries_[oin].counted_until;
    }
    for (;;) {
      ExchangeQuery page;
      page.organisation_oin = oin;
      page.after_sequence = after;
      page.limit = kPage;
      std::vector<LoggedExchange> records;
      try {
        records = log_.findExchanges(page);
      } catch (const std::exception&) {
        return false;
      }
      if (records.empty()) break;
      Summary delta;
      std::vector<LoggedExchange> exchanges;
      for (auto& e : records) {
        if (e.record.flow.starts_with("ketenpoort.")) continue;  // the gateway's own records
        const auto outcome = static_cast<std::size_t>(e.record.outcome);
        ++delta.per_day[e.record.time_utc.substr(0, 10)][outcome];
        ++delta.per_flow[e.record.flow][outcome];
        ++delta.exchanges;
        exchanges.push_back(std::move(e));
      }
      delta.refusals = countRefusals(exchanges);
      delta.withheld = countWithheld(exchanges);
      after = records.back().sequence;
      std::lock_guard lock(mutex_);
      Summary& s = summaries_[oin];
      s.counted_until = after;
      s.exchanges += delta.exchanges;
      for (const auto& [day, counts] : delta.per_day) {
        for (std::size_t i = 0; i < counts.size(); ++i) s.per_day[day][i] += counts[i];
      }
      for (const auto& [flow, counts] : delta.per_flow) {
        for (std::size_t i = 0; i < counts.size(); ++i) s.per_flow[flow][i] += counts[i];
      }
      for (const auto& [key, count] : delta.refusals) s.refusals[key] += count;
      for (const auto& [key, count] : delta.withheld) s.withheld[key] += count;
      if (records.size() < kPage) break;
    }
  }
  return true;
}

ExchangeStatistics::Summary ExchangeStatistics::summary(const std::string& organisation_oin) const {
  std::lock_guard lock(mutex_);
  const auto it = summaries_.find(organisation_oin);
  return it == summaries_.end() ? Summary{} : it->second;
}

}  // namespace ketenpoort
