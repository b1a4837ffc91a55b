#pragma once

#include <span>
#include <string>
#include <string_view>

#include "gateway/vocabulary/reason.hpp"

namespace ketenpoort {

// The answers of the one vocabulary (gateway/vocabulary), in the enum's order: every
// reason with an HTTP status. docs/api/problems.md documents each.
std::span<const ReasonType> problemCatalogue();

inline constexpr std::string_view kProblemContentType = "application/problem+json";

// {"type":"urn:ketenpoort:problem:<code>","title":…,"status":…,"code":…,"detail":…,"instance":…}
// The one place a Problem becomes problem+json.
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
// A POST to the console without this console's form token for this officer, or from
// another site (Origin, Sec-Fetch-Site): refused, so another page cannot make an
// officer's browser act with the officer's certificate (CSRF).
Problem formNotTrusted(std::string detail);
// A request to the audit listener that the browser says came from another site (Fetch
// Metadata, Origin): refused before anything is recorded, so another page cannot make an
// officer's browser write into the accountability trail in the officer's name.
Problem crossSiteRequest(std::string detail);
// A body in a type the route does not take (415): the audit API's POSTs are JSON only,
// which a cross-site page cannot send without the browser asking first (CORS).
Problem unsupportedMediaType(std::string detail);
Problem logUnavailable();
// A refused exchange: the code is the refusal's reason (policy engine or invalid-message),
// an answer of the vocabulary; a reason that is no answer is a bug: internal-error.
Problem refused(Reason reason, std::string detail);
Problem invalidTransactionId();
// A header that may appear once was sent more than once; `name` is one of ours.
Problem duplicateHeader(std::string_view name);
Problem transactionInProgress();
// A query the source system could not answer: nothing is passed on, not even in part.
Problem sourceUnreachable(std::string detail);    // 502
Problem sourceTimeout(std::string detail);        // 504
Problem sourceInvalidAnswer(std::string detail);  // 502
Problem subjectUnknown(std::string detail);       // 404: the source does not know the person
}  // namespace problems

}  // namespace ketenpoort
