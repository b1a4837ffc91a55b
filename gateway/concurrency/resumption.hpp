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

// `co_await CalledBack<T, Start>(start)`: start(done) hands `done`, a
// std::function<void(T)>, to whoever answers (a channel, the log's writer); the coroutine
// continues on the thread that calls it, with its value. A `done` dropped without being
// called destroys the coroutine (Resumption); one that `start` throws from is the
// co_await's exception. `start` is moved out of the awaiter before it runs: `done` may
// resume the coroutine, and end it, before `start` returns.
template <class T, class Start>
class CalledBack {
 public:
  explicit CalledBack(Start start) : start_(std::move(start)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) {
    suspendInto(handle, [this](const Resumption& resume) {
      Start start = std::move(start_);
      start(std::function<void(T)>([value = &value_, resume](T answer) {
        *value = std::move(answer);
        resume();
      }));
    });
  }
  T await_resume() { return std::move(value_); }

 private:
  Start start_;
  T value_{};
};
template <class T, class Start>
CalledBack<T, Start> calledBack(Start start) {
  return CalledBack<T, Start>(std::move(start));
}

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
