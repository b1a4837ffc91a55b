#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "gateway/calendar/time_source.hpp"

namespace ketenpoort {

// The one queue between threads that hand work to a single consumer thread which takes
// it in batches: the exchange log's writer (a batch is one group commit) and the
// diagnostic log (a batch is one run of writes to stderr). Bounded: a full queue refuses
// at once, so the caller decides (the exchange log answers "not durable", fail-closed;
// the diagnostic log counts a dropped line) instead of growing without limit.
template <class T>
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // False when full or closed; `item` is then left as it was, for the caller to refuse.
  bool push(T& item) {
    {
      std::lock_guard lock(mutex_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    wake_consumer_.notify_one();
    return true;
  }

  // The consumer: waits until there is work, the queue closes, or `wait_at_most` passes,
  // then moves up to `max` items into `batch` (cleared first; it may come back empty on a
  // timeout). True while more may come; false for the last batch: closed and nothing
  // left after it. The batch taken before counts as done once this is called again.
  // `wait_at_most` passes on `time` (the system's, or the one a test moves).
  bool popBatch(std::vector<T>& batch, std::size_t max, std::chrono::steady_clock::duration wait_at_most,
                const TimeSource& time = systemTime()) {
    batch.clear();
    std::unique_lock lock(mutex_);
    if (in_hand_) {
      in_hand_ = false;
      if (items_.empty()) drained_.notify_all();
    }
    time.waitFor(lock, wake_consumer_, wait_at_most, [this] { return closed_ || !items_.empty(); });
    while (!items_.empty() && batch.size() < max) {
      batch.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    in_hand_ = !batch.empty();
    return !(closed_ && items_.empty());
  }

  // Refuses new items and wakes the consumer, which still takes what is queued.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    wake_consumer_.notify_all();
  }

  // Blocks until everything pushed so far has been taken and its batch finished.
  void waitUntilDrained() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [this] { return (items_.empty() && !in_hand_) || (closed_ && items_.empty()); });
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_consumer_;
  std::condition_variable drained_;
  std::deque<T> items_;
  bool in_hand_ = false;  // the consumer is working on a batch
  bool closed_ = false;
};

}  // namespace ketenpoort
