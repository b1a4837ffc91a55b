#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include "gateway/api/router.hpp"

namespace ketenpoort {

// The one request model of the exchange routes: a request is one coroutine that reads
// top-down, from the request to its answer. It starts on the connection's strand, and
// where it waits (the log's group commit, a source system, a database read) it is resumed
// by whoever finishes that work — the log's writer thread, a worker — or moves itself
// with `co_await ResumeOn(executor)`. What it co_returns is handed to the route's
// `respond` (which posts it back to the connection); an exception that escapes is a bug,
// logged and answered 500.
//
// No thread ever blocks on a request: a wait is a suspended coroutine frame, owned by
// the callback that will resume it. A callback destroyed without being called (a pool
// stopped at shutdown) destroys the frame with it, so nothing leaks.
class RequestTask {
 public:
  struct promise_type {
    Router::Respond respond;
    ApiResponse response;

    RequestTask get_return_object() noexcept {
      return RequestTask(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    // The answer leaves only here, after the coroutine's locals are gone (an in-flight
    // claim ends before the sender can hear the answer and send again).
    std::suspend_never final_suspend() noexcept {
      try {
        if (respond) respond(std::move(response));
      } catch (...) {  // NOLINT(bugprone-empty-catch): nothing is left to answer on
      }
      return {};
    }
    void return_value(ApiResponse answer) { response = std::move(answer); }
    void unhandled_exception() noexcept;
  };

  RequestTask(RequestTask&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  RequestTask(const RequestTask&) = delete;
  RequestTask& operator=(const RequestTask&) = delete;
  RequestTask& operator=(RequestTask&&) = delete;
  ~RequestTask() {
    if (handle_) handle_.destroy();
  }

  // Runs the request until its first wait; its answer goes to `respond`, once.
  void start(Router::Respond respond) && {
    const auto handle = std::exchange(handle_, {});
    handle.promise().respond = std::move(respond);
    handle.resume();
  }

 private:
  explicit RequestTask(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

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
  explicit ResumeOn(const BlockingExecutor& executor) : executor_(executor) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) const {
    suspendInto(handle, [this](const Resumption& resume) { executor_([resume] { resume(); }); });
  }
  void await_resume() const noexcept {}

 private:
  const BlockingExecutor& executor_;
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
