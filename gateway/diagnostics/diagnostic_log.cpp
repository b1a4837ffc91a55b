#include "gateway/diagnostics/diagnostic_log.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <array>

#include "gateway/calendar/time_source.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/vocabulary/enum_names.hpp"

namespace ketenpoort {
namespace {

constexpr std::array<EnumName<LogLevel>, 4> kLevelNames{
    {{LogLevel::kDebug, "debug"}, {LogLevel::kInfo, "info"}, {LogLevel::kWarn, "warn"}, {LogLevel::kError, "error"}}};

void scrub(boost::json::value& value) {
  if (auto* s = value.if_string()) {
    std::string masked = maskBsns(*s);
    if (masked != *s) *s = masked;
  } else if (auto* o = value.if_object()) {
    for (auto& entry : *o) scrub(entry.value());
  } else if (auto* a = value.if_array()) {
    for (auto& element : *a) scrub(element);
  }
}

}  // namespace

DiagnosticLog::DiagnosticLog(Writer writer, std::size_t queue_limit)
    : writer_(std::move(writer)), queue_(queue_limit), thread_([this] { run(); }) {}

DiagnosticLog::~DiagnosticLog() {
  queue_.close();
  thread_.join();
}

void DiagnosticLog::write(LogLevel level, std::string_view event, boost::json::object fields) {
  if (level < min_level_) return;
  boost::json::object line;
  line["ts"] = systemTime().nowRfc3339();
  line["level"] = nameIn(kLevelNames, level);
  line["event"] = event;
  for (auto& entry : fields) line[entry.key()] = std::move(entry.value());
  boost::json::value value(std::move(line));
  scrub(value);
  std::string text = boost::json::serialize(value);
  if (!queue_.push(text)) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void DiagnosticLog::flush() { queue_.waitUntilDrained(); }

std::uint64_t DiagnosticLog::droppedLines() const { return dropped_.load(std::memory_order_relaxed); }

void DiagnosticLog::run() {
  constexpr std::size_t kLinesPerBatch = 256;
  std::vector<std::string> batch;
  std::uint64_t dropped_reported = 0;
  for (bool more = true; more;) {
    more = queue_.popBatch(batch, kLinesPerBatch, std::chrono::hours(1));
    // Lines dropped so far were refused while this batch waited: the notice follows it.
    const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    for (const auto& text : batch) writer_(text);
    if (dropped > dropped_reported) {
      writer_(R"({"level":"warn","event":"log-lines-dropped","count":)" + std::to_string(dropped - dropped_reported) +
              "}");
      dropped_reported = dropped;
    }
  }
}

DiagnosticLog& diagnosticLog() {
  static DiagnosticLog log([](std::string_view line) {
    std::string out(line);
    out.push_back('\n');
    std::size_t offset = 0;
    while (offset < out.size()) {
      const ssize_t n = ::write(STDERR_FILENO, out.data() + offset, out.size() - offset);
      if (n <= 0) return;  // stderr closed: diagnostics are best effort
      offset += static_cast<std::size_t>(n);
    }
  });
  return log;
}

}  // namespace ketenpoort
