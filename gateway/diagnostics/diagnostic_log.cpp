#include "gateway/diagnostics/diagnostic_log.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/identity/bsn.hpp"

namespace ketenpoort {
namespace {

std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

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
    : writer_(std::move(writer)), queue_limit_(queue_limit), thread_([this] { run(); }) {}

DiagnosticLog::~DiagnosticLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void DiagnosticLog::write(LogLevel level, std::string_view event, boost::json::object fields) {
  if (level < min_level_) return;
  boost::json::object line;
  line["ts"] = utcNowRfc3339();
  line["level"] = levelName(level);
  line["event"] = event;
  for (auto& entry : fields) line[entry.key()] = std::move(entry.value());
  boost::json::value value(std::move(line));
  scrub(value);
  std::string text = boost::json::serialize(value);
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_limit_) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(text));
  }
  wake_.notify_one();
}

void DiagnosticLog::flush() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

std::uint64_t DiagnosticLog::droppedLines() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void DiagnosticLog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<std::string> batch;
    batch.swap(queue_);
    const std::uint64_t newly_dropped = dropped_ - dropped_reported_;
    dropped_reported_ = dropped_;
    writing_ = true;
    lock.unlock();
    for (const auto& text : batch) writer_(text);
    if (newly_dropped > 0) {
      writer_(R"({"level":"warn","event":"log-lines-dropped","count":)" +
              std::to_string(newly_dropped) + "}");
    }
    lock.lock();
    writing_ = false;
    if (queue_.empty()) drained_.notify_all();
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
