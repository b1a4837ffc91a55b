#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/config/gateway_config.hpp"

namespace ketenpoort {

// A request as the API sees it, free of any HTTP library: the network layer fills it in
// after TLS has identified the caller.
struct ApiRequest {
  std::string method;                          // "GET", "POST", …
  std::string path;                            // without the query string
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  const Party* caller = nullptr;  // never null once routed
  // The "{name}" segments of the matched route, by name (set by Router::dispatch).
  std::map<std::string, std::string, std::less<>> path_params;

  // The value of the route's "{name}" segment; "" when the route has none by that name.
  std::string_view param(std::string_view name) const {
    const auto it = path_params.find(name);
    return it == path_params.end() ? std::string_view() : std::string_view(it->second);
  }
};

struct ApiResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace ketenpoort
