#include "gateway/console/form_guard.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>

#include "gateway/api/cross_site.hpp"
#include "gateway/api/query_string.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

std::string_view header(const ApiRequest& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

void addConsoleSecurityHeaders(ApiResponse& response) {
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a
  // form POST, and the FormGuard could no longer tell the console's own forms apart.
  response.headers.emplace_back("Referrer-Policy", "same-origin");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  response.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  response.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

void secureConsoleAnswer(const ApiRequest& request, ApiResponse& response) {
  const bool console = request.path == "/" || request.path == "/console" || request.path.starts_with("/console/");
  const bool secured = std::any_of(response.headers.begin(), response.headers.end(),
                                   [](const auto& h) { return h.first == "Content-Security-Policy"; });
  if (console && !secured) addConsoleSecurityHeaders(response);
}

FormGuard::FormGuard(std::string key_hex, std::chrono::seconds lifetime)
    : key_(std::move(key_hex)), lifetime_(lifetime) {}

std::string FormGuard::mac(std::string_view officer_oin, std::int64_t expires) const {
  const std::string message = "console-form|" + std::string(officer_oin) + "|" + std::to_string(expires);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out, &length);
  return toHex(out, length);
}

std::string FormGuard::issue(std::string_view officer_oin, std::chrono::system_clock::time_point now) const {
  const std::int64_t expires =
      std::chrono::duration_cast<std::chrono::seconds>((now + lifetime_).time_since_epoch()).count();
  return std::to_string(expires) + "." + mac(officer_oin, expires);
}

Result<std::map<std::string, std::string>> FormGuard::accept(const ApiRequest& request, std::string_view officer_oin,
                                                             std::chrono::system_clock::time_point now) const {
  // The listener's router refuses these already; checked here too, so a form is never
  // taken on the token alone.
  if (auto problem = crossSiteProblem(request)) return *problem;
  if (!hasMediaType(header(request, "content-type"), "application/x-www-form-urlencoded") || !request.query.empty()) {
    return problems::invalidQuery("a console form is application/x-www-form-urlencoded, with no query in the URL");
  }
  auto fields = parseQueryString(request.body);
  if (!fields) return problems::invalidQuery("malformed or repeated form field");
  const auto token = fields->find("formulier");
  if (token == fields->end()) return problems::formNotTrusted("the form has no token; open the page again");
  const std::string_view text = token->second;
  const auto dot = text.find('.');
  std::int64_t expires = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + (dot == std::string_view::npos ? 0 : dot), expires);
  if (dot == std::string_view::npos || ec != std::errc() || end != text.data() + dot) {
    return problems::formNotTrusted("the form's token is malformed; open the page again");
  }
  const std::string expected = mac(officer_oin, expires);
  const std::string_view given = text.substr(dot + 1);
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return problems::formNotTrusted("the form's token was not issued to this officer by this console");
  }
  if (std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() > expires) {
    return problems::formNotTrusted("the form has expired; open the page again");
  }
  fields->erase(token);
  return std::move(*fields);
}

}  // namespace ketenpoort
