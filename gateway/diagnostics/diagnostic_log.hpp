#pragma once

#include "gateway/concurrency/batch_queue.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace ketenpoort {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Diagnostic log: one JSON object per line. Callers hand over structured fields, never
// message bodies; string values are additionally scrubbed of anything that looks like a
// BSN. Lines are written by a background thread so that a network thread never blocks
// on a slow stderr; when the queue is full, lines are dropped and the drop is reported.
class DiagnosticLog {
 public:
  using Writer = std::function<void(std::string_view line)>;

  static constexpr std::size_t kDefaultQueueLimit = 10000;

  explicit DiagnosticLog(Writer writer, std::size_t queue_limit = kDefaultQueueLimit);
  ~DiagnosticLog();
  DiagnosticLog(const DiagnosticLog&) = delete;
  DiagnosticLog& operator=(const DiagnosticLog&) = delete;

  void setMinLevel(LogLevel level) { min_level_ = level; }
  void write(LogLevel level, std::string_view event, boost::json::object fields = {});
  // Blocks until every line queued so far has been handed to the writer.
  void flush();

  std::uint64_t droppedLines() const;

 private:
  void run();

  Writer writer_;
  LogLevel min_level_ = LogLevel::kInfo;
  BatchQueue<std::string> queue_;
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

// The process-wide log on stderr.
DiagnosticLog& diagnosticLog();

inline void logInfo(std::string_view event, boost::json::object fields = {}) {
  diagnosticLog().write(LogLevel::kInfo, event, std::move(fields));
}
inline void logWarn(std::string_view event, boost::json::object fields = {}) {
  diagnosticLog().write(LogLevel::kWarn, event, std::move(fields));
}
inline void logError(std::string_view event, boost::json::object fields = {}) {
  diagnosticLog().write(LogLevel::kError, event, std::move(fields));
}
inline void logDebug(std::string_view event, boost::json::object fields = {}) {
  diagnosticLog().write(LogLevel::kDebug, event, std::move(fields));
}

}  // namespace ketenpoort
