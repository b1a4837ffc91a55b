#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ketenpoort {

// Every error the gateway answers, one vocabulary for the whole request path. Each code
// has one entry in the catalogue (problem.cpp): its stable name (the `code` member
// clients switch on, also the reason stored in the exchange log for a refusal), its HTTP
// status and its title. docs/api/problems.md documents each; a unit test holds the two
// to each other.
enum class ProblemCode : std::uint8_t {
  // HTTP and identity, before any route
  kBadRequest,
  kDuplicateHeader,
  kNotFound,
  kMethodNotAllowed,
  kPayloadTooLarge,
  kHeaderTooLarge,
  kInvalidClientCertificate,
  kUnknownParty,
  kTestPartyRefused,
  kRoleNotAllowed,
  // the request itself
  kInvalidQuery,
  kBsnInUrl,
  kFormNotTrusted,
  kCrossSiteRequest,
  kUnsupportedMediaType,
  kInvalidTransactionId,
  kTransactionInProgress,
  // refusals: the policy engine's reasons (and the exchange's own), logged as refused
  kInvalidMessage,
  kTransactionConflict,
  kIdentityConflict,
  kFlowNotAllowed,
  kPurposeMismatch,
  kNoKoppeling,
  kLawRegime,
  kNoAgreement,
  kNoConsent,
  kKoppelingConflict,
  // a source system asked on the caller's behalf, logged as failed
  kSubjectUnknown,
  kSourceUnreachable,
  kSourceInvalidAnswer,
  kSourceTimeout,
  // the gateway itself
  kLogUnavailable,
  kInternalError,
};

struct ProblemType {
  ProblemCode code;
  std::string_view name;  // "flow-not-allowed"
  unsigned status;
  std::string_view title;
};

// The whole catalogue, in the enum's order.
std::span<const ProblemType> problemCatalogue();
const ProblemType& problemType(ProblemCode code);
// The code by its name, e.g. a policy reason; nullopt for a name the catalogue lacks.
std::optional<ProblemCode> problemCodeNamed(std::string_view name);

// An RFC 9457 problem: what went wrong (the code) and, for people, the detail of this
// case. The detail never holds a BSN or text taken from a message.
struct Problem {
  ProblemCode code = ProblemCode::kInternalError;
  std::string detail;

  unsigned status() const { return problemType(code).status; }
  std::string_view name() const { return problemType(code).name; }
};

// The result of a step on the request path: its value, or the problem the caller hears.
// Steps return it; exceptions are for start-up and bugs only.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : outcome_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Problem problem) : outcome_(std::in_place_index<1>, std::move(problem)) {}  // NOLINT

  bool ok() const { return outcome_.index() == 0; }
  T& value() { return std::get<0>(outcome_); }
  const T& value() const { return std::get<0>(outcome_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Problem& problem() const { return std::get<1>(outcome_); }

 private:
  std::variant<T, Problem> outcome_;
};

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
// A refused exchange: the code is the refusal's reason (policy engine or invalid-message).
// A reason the catalogue lacks is a bug: internal-error.
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
