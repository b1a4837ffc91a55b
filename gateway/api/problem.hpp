#pragma once

#include <string>
#include <string_view>

namespace ketenpoort {

// An RFC 9457 problem. `code` is the stable, machine-readable member clients switch on;
// the catalogue of codes is docs/api/problems.md.
struct Problem {
  unsigned status = 500;
  std::string code;
  std::string title;
  std::string detail;
};

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// {"type":"urn:ketenpoort:problem:<code>","title":…,"status":…,"code":…,"detail":…,"instance":…}
std::string renderProblemJson(const Problem& problem, std::string_view instance);

namespace problems {
Problem badRequest(std::string detail);
Problem notFound(std::string detail);
Problem methodNotAllowed(std::string detail);
Problem payloadTooLarge(std::size_t limit);
Problem headerTooLarge(std::size_t limit);
Problem unknownParty(std::string detail);
Problem testPartyRefused(std::string detail);
Problem invalidClientCertificate(std::string detail);
Problem roleNotAllowed(std::string detail);
Problem internalError();
Problem invalidQuery(std::string detail);
// A BSN in a URL (query string): refused before anything is done with it. Personal data
// does not belong where access logs, proxies and browser history keep it; `post_form`
// names the route that takes it in its body.
Problem bsnInUrl(const std::string& post_form);
Problem logUnavailable();
// A refused exchange: the code is the refusal's reason (policy engine or invalid-message).
Problem refused(std::string_view reason, std::string detail);
Problem invalidTransactionId();
// A header that may appear once was sent more than once; `name` is one of ours.
Problem duplicateHeader(std::string_view name);
Problem transactionInProgress();
// A query the source system could not answer: nothing is passed on, not even in part.
Problem sourceUnreachable(std::string detail);  // 502
Problem sourceTimeout(std::string detail);      // 504
Problem sourceInvalidAnswer(std::string detail);  // 502
Problem subjectUnknown(std::string detail);     // 404: the source does not know the person
}  // namespace problems

}  // namespace ketenpoort
