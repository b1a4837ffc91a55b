#pragma once

#include <functional>
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
    ApiResponse response;   // when `async` is empty
    AsyncHandler async;     // otherwise: run it to get the response
    std::string route;      // the template, or "unmatched"
  };

  void add(std::string method, std::string path_template, Handler handler);
  void addAsync(std::string method, std::string path_template, AsyncHandler handler);
  // Finds the route and fills `request.path_params` from its "{name}" segments.
  Outcome dispatch(ApiRequest& request) const;

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

  std::vector<Route> routes_;
};

}  // namespace ketenpoort
