#pragma once

// What the benchmarks that fill a log share.
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/store/exchange_log.hpp"

namespace ketenpoort::bench {

// An empty directory under the system's temp directory, named for the benchmark.
inline std::filesystem::path freshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ketenpoort-bench-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Appends the records from the calling thread without waiting for each; the writer commits
// whatever has queued up (group commit). Returns when all are durable.
inline void appendAll(ExchangeLog& log, std::vector<ExchangeRecord> records) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t remaining = records.size();
  std::atomic<std::size_t> failures{0};
  for (auto& record : records) {
    log.append(std::move(record), [&](const AppendResult& r) {
      if (!r.ok) ++failures;
      std::lock_guard lock(mutex);
      if (--remaining == 0) done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return remaining == 0; });
  if (failures > 0) throw std::runtime_error("appends failed");
}

}  // namespace ketenpoort::bench
