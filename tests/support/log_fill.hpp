#pragma once

// Filling an exchange log quickly, for the tests and benchmarks that need many records.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "gateway/store/exchange_log.hpp"

namespace ketenpoort::testing {

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

}  // namespace ketenpoort::testing
