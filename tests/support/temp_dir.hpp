#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "gateway/calendar/time_source.hpp"

namespace ketenpoort::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The whole file as text; "" when it cannot be read (the test's expectations then fail).
std::string readFile(const std::filesystem::path& path);

// Polls `condition` until it holds or `timeout` passes; returns its last value.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// waitUntil for a thread that waits on a simulated clock: moves `time` on by `step` at
// every look. A thread begins its wait relative to the time it reads; one move made before
// it began would pass it by, so the clock keeps moving, in steps small beside what the
// test is about.
bool advanceUntil(SimulatedTime& time, std::chrono::milliseconds step, const std::function<bool()>& condition,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace ketenpoort::testing

namespace ketenpoort::testing {

struct PlainResponse {
  unsigned status = 0;  // 0: no answer
  std::string head;
  std::string body;
};

// GET over plain HTTP/1.0 on 127.0.0.1 (the ops listener), with POSIX sockets only.
PlainResponse plainHttpGet(std::uint16_t port, const std::string& path);

// Opens a TCP connection to 127.0.0.1:port, sends nothing, and reports whether the server
// closes it within `timeout`.
bool silentConnectionClosedWithin(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace ketenpoort::testing
