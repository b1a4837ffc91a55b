#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/api/api_message.hpp"
#include "gateway/api/problem.hpp"
#include "gateway/concurrency/resumption.hpp"

namespace ketenpoort {

// Runs blocking work (database reads, log appends) away from the network threads.
using BlockingExecutor = Executor;

ApiResponse problemResponse(const Problem& problem, std::string_view instance);

// Maps method and path to a handler. Routes are exact paths or have "{name}" segments,
// each matching one non-empty segment; the matched template is the route label used in metrics, so no
// request-specific value (and no personal data) ever becomes a label.
class Router {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  // For work that may block (database, other servers): the handler takes the request,
  // does its work elsewhere and calls `respond` once, from any thread.
  using Respond = std::function<void(ApiResponse)>;
  using AsyncHandler = std::function<void(ApiRequest, Respond)>;

  struct Outcome {
    ApiResponse response;  // when `async` is empty
    AsyncHandler async;    // otherwise: run it to get the response
    std::string route;     // the template, or "unmatched"
  };

  // Asked before any matched route's handler runs: a problem refuses the request there
  // (the audit listener's cross-site check), so no handler records anything for it.
  using Guard = std::function<std::optional<Problem>(const ApiRequest&)>;
  // Applied to every answer the router makes itself (404, 405, a guard's refusal) and to
  // every synchronous handler's, e.g. the console's security headers.
  using Finish = std::function<void(const ApiRequest&, ApiResponse&)>;

  void add(std::string method, std::string path_template, Handler handler);
  void addAsync(std::string method, std::string path_template, AsyncHandler handler);
  // Finds the route and fills `request.path_params` from its "{name}" segments.
  Outcome dispatch(ApiRequest& request) const;

  void setGuard(Guard guard) { guard_ = std::move(guard); }
  void setFinish(Finish finish) { finish_ = std::move(finish); }

 private:
  struct Route {
    std::string method;
    std::string path_template;
    Handler handler;
    AsyncHandler async;
  };
  // Whether `path` matches; its "{name}" segments into `params` when it does.
  static bool matches(std::string_view path_template, std::string_view path,
                      std::map<std::string, std::string, std::less<>>& params);

  Outcome finished(const ApiRequest& request, Outcome outcome) const;

  std::vector<Route> routes_;
  Guard guard_;
  Finish finish_;
};

}  // namespace ketenpoort
