#include "gateway/api/router.hpp"

namespace ketenpoort {

ApiResponse problemResponse(const Problem& problem, std::string_view instance) {
  ApiResponse response;
  response.status = problem.status;
  response.content_type = std::string(kProblemContentType);
  response.body = renderProblemJson(problem, instance);
  return response;
}

void Router::add(std::string method, std::string path_template, Handler handler) {
  routes_.push_back({std::move(method), std::move(path_template), std::move(handler), {}});
}

void Router::addAsync(std::string method, std::string path_template, AsyncHandler handler) {
  routes_.push_back({std::move(method), std::move(path_template), {}, std::move(handler)});
}

bool Router::matches(std::string_view path_template, std::string_view path) {
  const auto brace = path_template.find("/{");
  if (brace == std::string_view::npos) return path_template == path;
  const std::string_view prefix = path_template.substr(0, brace + 1);
  if (!path.starts_with(prefix)) return false;
  const std::string_view segment = path.substr(prefix.size());
  return !segment.empty() && segment.find('/') == std::string_view::npos;
}

Router::Outcome Router::dispatch(const ApiRequest& request) const {
  std::string allowed;
  for (const Route& route : routes_) {
    if (!matches(route.path_template, request.path)) continue;
    if (route.method == request.method) {
      if (route.async) return {{}, route.async, route.path_template};
      return {route.handler(request), {}, route.path_template};
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (!allowed.empty()) {
    auto response = problemResponse(
        problems::methodNotAllowed(request.method + " is not allowed; use " + allowed), request.path);
    response.headers.emplace_back("Allow", allowed);
    return {std::move(response), {}, "unmatched"};
  }
  return {problemResponse(problems::notFound("no resource at " + request.path), request.path), {},
          "unmatched"};
}

}  // namespace ketenpoort
