#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "gateway/api/api_message.hpp"
#include "gateway/api/problem.hpp"

namespace ketenpoort {

// Every console answer carries these: nothing of it may be cached, framed, sniffed as
// another type, or load anything but the console's own stylesheet; no inline script or
// style is allowed (the pages have none).
void addConsoleSecurityHeaders(ApiResponse& response);
// The same for an answer the router made itself (404, 405, a cross-site refusal) to a
// request for a console path ("/", "/console…"), unless the answer has them already.
void secureConsoleAnswer(const ApiRequest& request, ApiResponse& response);

// Guards the console's forms against cross-site request forgery. A browser sends the
// officer's client certificate with any request to the console, also one another site's
// page makes it send, so a POST is taken only when
//  - it carries a form token this console issued to this officer (HMAC-SHA256 of the
//    officer's OIN and the token's expiry, under a key derived from the gateway's
//    subject key: the same on every node), not expired, and
//  - the browser does not say it came from elsewhere (crossSiteProblem: `Origin` other
//    than this host, `Sec-Fetch-Site` other than same-origin or none), and
//  - it is a form (`application/x-www-form-urlencoded`).
// Tokens carry no state on the server, so a restart or another node takes them.
class FormGuard {
 public:
  FormGuard(std::string key_hex, std::chrono::seconds lifetime);

  // A token for `officer_oin`, valid from `now` for the lifetime.
  std::string issue(std::string_view officer_oin, std::chrono::system_clock::time_point now) const;
  // The form's fields when the request passes every check; form-not-trusted (or
  // cross-site-request, or invalid-query for a body that is no form) otherwise.
  Result<std::map<std::string, std::string>> accept(const ApiRequest& request, std::string_view officer_oin,
                                                    std::chrono::system_clock::time_point now) const;

 private:
  std::string mac(std::string_view officer_oin, std::int64_t expires) const;

  std::string key_;
  std::chrono::seconds lifetime_;
};

}  // namespace ketenpoort
