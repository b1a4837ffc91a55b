#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {
namespace {

struct Captured {
  std::mutex mutex;
  std::vector<std::string> lines;
  DiagnosticLog::Writer writer() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(line);
    };
  }
};

TEST(DiagnosticLog, WritesOneJsonObjectPerLine) {
  Captured captured;
  {
    DiagnosticLog log(captured.writer());
    log.write(LogLevel::kInfo, "listening", {{"port", 8443}, {"listener", "exchange"}});
    log.flush();
  }
  ASSERT_EQ(captured.lines.size(), 1u);
  const auto json = boost::json::parse(captured.lines[0]).as_object();
  EXPECT_EQ(json.at("event"), "listening");
  EXPECT_EQ(json.at("level"), "info");
  EXPECT_EQ(json.at("port"), 8443);
  EXPECT_TRUE(json.contains("ts"));
}

TEST(DiagnosticLog, MasksAnythingThatPassesTheElfproef) {
  Captured captured;
  {
    DiagnosticLog log(captured.writer());
    log.write(LogLevel::kWarn, "oops",
              {{"detail", "person 111222333 not found"}, {"nested", boost::json::array{"123456782"}}});
  }
  ASSERT_EQ(captured.lines.size(), 1u);
  EXPECT_EQ(captured.lines[0].find("111222333"), std::string::npos);
  EXPECT_EQ(captured.lines[0].find("123456782"), std::string::npos);
  EXPECT_NE(captured.lines[0].find("*********"), std::string::npos);
}

TEST(DiagnosticLog, DropsBelowMinimumLevel) {
  Captured captured;
  {
    DiagnosticLog log(captured.writer());
    log.write(LogLevel::kDebug, "noise");
    log.write(LogLevel::kError, "signal");
  }
  ASSERT_EQ(captured.lines.size(), 1u);
  EXPECT_NE(captured.lines[0].find("signal"), std::string::npos);
}

TEST(DiagnosticLog, ReportsDroppedLinesWhenTheQueueIsFull) {
  std::mutex gate;
  gate.lock();  // the writer blocks until released, so the queue fills
  std::vector<std::string> lines;
  std::size_t dropped = 0;
  {
    DiagnosticLog log(
        [&](std::string_view line) {
          std::lock_guard lock(gate);
          lines.emplace_back(line);
        },
        2);
    for (int i = 0; i < 50; ++i) log.write(LogLevel::kInfo, "line");
    dropped = log.droppedLines();
    gate.unlock();
  }
  EXPECT_GT(dropped, 0u);
  // Every line is either written or counted in a drop notice, and the notices add up.
  std::size_t written = 0;
  std::uint64_t reported = 0;
  for (const auto& line : lines) {
    if (line.find("log-lines-dropped") == std::string::npos) {
      ++written;
    } else {
      reported += boost::json::parse(line).at("count").to_number<std::uint64_t>();
    }
  }
  EXPECT_EQ(written, 50u - dropped);
  EXPECT_EQ(reported, dropped);
  EXPECT_NE(lines.back().find("log-lines-dropped"), std::string::npos);
}

}  // namespace
}  // namespace ketenpoort
