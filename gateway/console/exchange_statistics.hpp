#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gateway/concurrency/batch_queue.hpp"
#include "gateway/store/exchange_log.hpp"

namespace ketenpoort {

// The overview's figures per organisation (exchanges per day, flow and outcome; refusals
// by reason; withheld fields by reason), counted once from the log in sequence order and
// kept in memory, so the overview of a log of millions of records costs a copy of a few
// hundred counters, not a scan. A thread of its own folds in what is new every second
// (from the organisation's indexes, after the last sequence counted); a page shows how far
// the count has come. Counts hold no personal data: flows, outcomes, reasons, field names.
class ExchangeStatistics {
 public:
  // Counts by outcome, in ExchangeOutcome's order (delivered, queued, refused, failed).
  using OutcomeCounts = std::array<std::uint64_t, 4>;
  struct Summary {
    std::uint64_t counted_until = 0;  // the last sequence folded in
    std::uint64_t exchanges = 0;
    std::map<std::string, OutcomeCounts> per_day;  // YYYY-MM-DD
    std::map<std::string, OutcomeCounts> per_flow;
    std::map<std::tuple<std::string, std::string>, std::uint64_t> refusals;               // flow, reason
    std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> withheld;  // flow, field, reason
  };

  ExchangeStatistics(const ExchangeLog& log, std::vector<std::string> organisation_oins);
  ~ExchangeStatistics();
  ExchangeStatistics(const ExchangeStatistics&) = delete;
  ExchangeStatistics& operator=(const ExchangeStatistics&) = delete;

  void start();
  void stop();
  // Folds in every record logged so far; false when the log could not be read. The
  // thread calls it; tests and the benchmark may too.
  bool refresh();
  // Counts these organisations too (a reload added their officers): from the log's first
  // record, at the next refresh. Ones counted already are kept as they are.
  void follow(const std::vector<std::string>& organisation_oins);
  // What is counted for one organisation (an empty summary for one not counted).
  Summary summary(const std::string& organisation_oin) const;

 private:
  void run();

  const ExchangeLog& log_;
  std::vector<std::string> organisations_;
  mutable std::mutex mutex_;  // guards summaries_
  std::map<std::string, Summary> summaries_;
  std::mutex refresh_mutex_;  // one refresh at a time
  BatchQueue<int> wake_{1};   // closed by stop(); its timeout paces the rounds
  std::thread thread_;
};

}  // namespace ketenpoort
