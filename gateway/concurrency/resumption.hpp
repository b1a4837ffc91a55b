#pragma once

#include <coroutine>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace ketenpoort {

// Runs a task on one of its threads (a worker pool: database reads, source systems).
using Executor = std::function<void(std::function<void()>)>;

// Primitives for coroutines whose waits end on our own threads (the log's writer, a
// worker pool), not on sockets: who resumes a suspended coroutine, and how a coroutine
// moves to a pool or waits for several writes at once.

// The right to resume one suspended coroutine, shared by the copies of the callback that
// holds it (std::function copies). Resumes at most once; when the last copy goes without
// resuming, the coroutine frame is destroyed.
class Resumption {
 public:
  explicit Resumption(std::coroutine_handle<> handle) : state_(std::make_shared<State>(handle)) {}

  void operator()() const {
    if (const auto handle = std::exchange(state_->handle, {})) handle.resume();
  }
  // For an awaiter whose hand-off threw: the coroutine is still suspended inside
  // await_suspend and takes the exception itself, so no copy may destroy it.
  void disown() const { state_->handle = {}; }

 private:
  struct State {
    explicit State(std::coroutine_handle<> h) : handle(h) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() {
      if (handle) handle.destroy();
    }
    std::coroutine_handle<> handle;
  };
  std::shared_ptr<State> state_;
};

// Hands `work(resume)` a Resumption; if handing it over throws, the exception is the
// co_await's and nothing is destroyed.
template <class Work>
void suspendInto(std::coroutine_handle<> handle, Work&& work) {
  const Resumption resume(handle);
  try {
    std::forward<Work>(work)(resume);
  } catch (...) {
    resume.disown();
    throw;
  }
}

// co_await ResumeOn(executor): continues on one of the executor's threads (for work that
// blocks: a database read, a source system).
class ResumeOn {
 public:
  explicit ResumeOn(const Executor& executor) : executor_(executor) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) const {
    suspendInto(handle, [this](const Resumption& resume) { executor_([resume] { resume(); }); });
  }
  void await_resume() const noexcept {}

 private:
  const Executor& executor_;
};

// Counts writes handed out without waiting for each; `co_await allDone()` continues once
// every one has reported, on the thread of the last report.
class PendingWrites : public std::enable_shared_from_this<PendingWrites> {
 public:
  // Call before handing the write out; then report() exactly once when it is done.
  void expect() {
    std::lock_guard lock(mutex_);
    ++left_;
  }
  void report() {
    std::coroutine_handle<> waiter;
    {
      std::lock_guard lock(mutex_);
      if (--left_ == 0) waiter = std::exchange(waiter_, {});
    }
    if (waiter) waiter.resume();
  }

  class AllDone {
   public:
    explicit AllDone(PendingWrites& writes) : writes_(writes) {}
    bool await_ready() const {
      std::lock_guard lock(writes_.mutex_);
      return writes_.left_ == 0;
    }
    bool await_suspend(std::coroutine_handle<> handle) const {
      std::lock_guard lock(writes_.mutex_);
      if (writes_.left_ == 0) return false;
      writes_.waiter_ = handle;
      return true;
    }
    void await_resume() const noexcept {}

   private:
    PendingWrites& writes_;
  };
  AllDone allDone() { return AllDone(*this); }

 private:
  std::mutex mutex_;
  std::size_t left_ = 0;
  std::coroutine_handle<> waiter_;
};

}  // namespace ketenpoort
