#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "gateway/api/router.hpp"
#include "gateway/concurrency/resumption.hpp"

namespace ketenpoort {

// The one request model of the routes that wait (exchange and audit): a request is one coroutine that reads
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

}  // namespace ketenpoort
