#include "gateway/api/request_task.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

void RequestTask::promise_type::unhandled_exception() noexcept {
  // A bug, or a store that cannot be read: this request is answered 500, nothing more.
  try {
    throw;
  } catch (const std::exception& e) {
    logError("request-failed", {{"error", e.what()}});
  } catch (...) {
    logError("request-failed", {{"error", "unknown exception"}});
  }
  response = problemResponse(problems::internalError(), "");
}

}  // namespace ketenpoort
