#include "gateway/api/cross_site.hpp"

#include <algorithm>
#include <cctype>

namespace ketenpoort {

namespace {

std::string_view header(const ApiRequest& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string_view() : std::string_view(it->second);
}

bool isConsolePath(std::string_view path) { return path == "/console" || path.starts_with("/console/"); }

}  // namespace

bool hasMediaType(std::string_view content_type, std::string_view media_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type.size() == media_type.size() &&
         std::equal(type.begin(), type.end(), media_type.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::optional<Problem> crossSiteProblem(const ApiRequest& request) {
  const std::string_view site = header(request, "sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return problems::crossSiteRequest("the browser says this request was made by a page of another site");
  }
  if (request.headers.contains("origin")) {
    const std::string_view origin = header(request, "origin");
    const std::string_view host = header(request, "host");
    if (host.empty() || origin != "https://" + std::string(host)) {
      return problems::crossSiteRequest("the request comes from another origin");
    }
  }
  if (request.method == "POST" && !isConsolePath(request.path) &&
      !hasMediaType(header(request, "content-type"), "application/json")) {
    return problems::unsupportedMediaType("this resource takes a JSON body (Content-Type: application/json)");
  }
  return std::nullopt;
}

}  // namespace ketenpoort
