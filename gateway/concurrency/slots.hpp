#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ketenpoort {

// At most `limit` coroutines at once past `co_await slots.acquire()`: a semaphore whose
// waiters are suspended coroutines, not threads. A released slot passes straight to the
// longest waiter, which continues on the releasing thread (in turn: a waiter that releases
// at once does not nest the next one's resumption inside its own). close() lets every
// waiter continue without a slot, as does every acquire after it.
class Slots {
 public:
  explicit Slots(std::size_t limit) : limit_(limit < 1 ? 1 : limit) {}
  Slots(const Slots&) = delete;
  Slots& operator=(const Slots&) = delete;

  // One slot, held until release() or destruction.
  class Slot {
   public:
    explicit Slot(Slots& slots) : slots_(&slots) {}
    Slot(Slot&& other) noexcept : slots_(std::exchange(other.slots_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() { release(); }
    void release() {
      if (auto* slots = std::exchange(slots_, nullptr)) slots->passOn();
    }

   private:
    Slots* slots_;
  };

  // `co_await acquire()`: a slot, or nullopt once closed.
  class Acquire {
   public:
    explicit Acquire(Slots& slots) : slots_(slots) {}
    bool await_ready() {
      std::lock_guard lock(slots_.mutex_);
      if (slots_.closed_) return true;
      if (slots_.in_use_ < slots_.limit_ && slots_.waiters_.empty()) {
        ++slots_.in_use_;
        granted_ = true;
      }
      return granted_;
    }
    bool await_suspend(std::coroutine_handle<> handle) {
      std::lock_guard lock(slots_.mutex_);
      if (slots_.closed_) return false;
      // The slot passes to it in passOn(), which sets granted_ before resuming it.
      slots_.waiters_.push_back({handle, &granted_});
      return true;
    }
    std::optional<Slot> await_resume() {
      if (!granted_) return std::nullopt;
      return std::optional<Slot>(std::in_place, slots_);
    }

   private:
    Slots& slots_;
    bool granted_ = false;
  };
  Acquire acquire() { return Acquire(*this); }

  // Coroutines waiting for a slot.
  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
  }
  // Blocks the calling thread until fewer than `most` coroutines wait, or until closed.
  void waitForRoom(std::size_t most) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return closed_ || waiters_.size() < most; });
  }
  // Every waiter continues without a slot (on this thread), and so does every later acquire.
  void close() {
    std::deque<Waiter> left;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      left.swap(waiters_);
    }
    room_.notify_all();
    for (const Waiter& w : left) resumeInTurn(w.handle);
  }

 private:
  struct Waiter {
    std::coroutine_handle<> handle;
    bool* granted;
  };

  void passOn() {
    std::optional<Waiter> next;
    {
      std::lock_guard lock(mutex_);
      if (waiters_.empty() || closed_) {
        --in_use_;
      } else {
        next = waiters_.front();
        waiters_.pop_front();
        *next->granted = true;  // the slot is its now; in_use_ stays
      }
    }
    room_.notify_all();
    if (next) resumeInTurn(next->handle);
  }

  // Resumes at once unless this thread is already resuming a waiter; then after it.
  static void resumeInTurn(std::coroutine_handle<> handle) {
    thread_local std::deque<std::coroutine_handle<>>* turns = nullptr;
    if (turns) {
      turns->push_back(handle);
      return;
    }
    std::deque<std::coroutine_handle<>> queue{handle};
    turns = &queue;
    while (!queue.empty()) {
      const auto next = queue.front();
      queue.pop_front();
      next.resume();
    }
    turns = nullptr;
  }

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::size_t in_use_ = 0;
  bool closed_ = false;
  std::deque<Waiter> waiters_;
};

}  // namespace ketenpoort
