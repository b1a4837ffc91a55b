#include "gateway/api/router.hpp"

namespace ketenpoort {

ApiResponse problemResponse(const Problem& problem, std::string_view instance) {
  ApiResponse response;
  response.status = problem.status();
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

bool Router::matches(std::string_view path_template, std::string_view path,
                     std::map<std::string, std::string, std::less<>>& params) {
  params.clear();
  // Segment by segment; "{name}" matches one non-empty segment.
  for (;;) {
    const auto t_end = path_template.find('/', 1);
    const auto p_end = path.find('/', 1);
    const std::string_view t = path_template.substr(0, t_end);
    const std::string_view p = path.substr(0, p_end);
    if (t.size() > 2 && t.substr(0, 2) == "/{" && t.back() == '}') {
      if (p.size() < 2 || p[0] != '/') return false;
      params.insert_or_assign(std::string(t.substr(2, t.size() - 3)), std::string(p.substr(1)));
    } else if (t != p) {
      return false;
    }
    if (t_end == std::string_view::npos || p_end == std::string_view::npos) {
      return t_end == std::string_view::npos && p_end == std::string_view::npos;
    }
    path_template.remove_prefix(t_end);
    path.remove_prefix(p_end);
  }
}

Router::Outcome Router::finished(const ApiRequest& request, Outcome outcome) const {
  if (finish_ && !outcome.async) finish_(request, outcome.response);
  return outcome;
}

Router::Outcome Router::dispatch(ApiRequest& request) const {
  std::string allowed;
  std::map<std::string, std::string, std::less<>> params;
  for (const Route& route : routes_) {
    if (!matches(route.path_template, request.path, params)) continue;
    if (route.method == request.method) {
      request.path_params = std::move(params);
      if (guard_) {
        if (const auto refusal = guard_(request)) {
          return finished(request, {problemResponse(*refusal, route.path_template), {}, route.path_template});
        }
      }
      if (route.async) return {{}, route.async, route.path_template};
      return finished(request, {route.handler(request), {}, route.path_template});
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  // The path is not echoed, neither in the detail nor as the instance: it is whatever the
  // caller typed, a BSN included (also after ';' or an encoded '?').
  if (!allowed.empty()) {
    auto response = problemResponse(problems::methodNotAllowed("this method is not allowed here; use " + allowed), "");
    response.headers.emplace_back("Allow", allowed);
    return finished(request, {std::move(response), {}, "unmatched"});
  }
  return finished(request, {problemResponse(problems::notFound("no resource at this path"), ""), {}, "unmatched"});
}

}  // namespace ketenpoort
