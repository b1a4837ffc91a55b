#include "gateway/api/problem.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>

namespace ketenpoort {

namespace {
using C = ProblemCode;
// In the enum's order (checked at compile time below).
constexpr std::array kCatalogue{
    ProblemType{C::kBadRequest, "bad-request", 400, "The request is not valid HTTP"},
    ProblemType{C::kDuplicateHeader, "duplicate-header", 400,
                "A header that may appear once was sent more than once"},
    ProblemType{C::kNotFound, "not-found", 404, "No such resource"},
    ProblemType{C::kMethodNotAllowed, "method-not-allowed", 405, "Method not allowed on this resource"},
    ProblemType{C::kPayloadTooLarge, "payload-too-large", 413, "The request body is too large"},
    ProblemType{C::kHeaderTooLarge, "header-too-large", 431, "The request header is too large"},
    ProblemType{C::kInvalidClientCertificate, "invalid-client-certificate", 403,
                "The client certificate does not carry exactly one 20-digit OIN"},
    ProblemType{C::kUnknownParty, "unknown-party", 403, "The calling organisation is not a known party"},
    ProblemType{C::kTestPartyRefused, "test-party-refused", 403,
                "Test OINs are accepted only by a gateway in test mode"},
    ProblemType{C::kRoleNotAllowed, "role-not-allowed", 403,
                "The calling party's role may not use this listener"},
    ProblemType{C::kInvalidQuery, "invalid-query", 400, "The query parameters are not valid"},
    ProblemType{C::kBsnInUrl, "bsn-in-url", 400, "A BSN does not belong in a URL"},
    ProblemType{C::kFormNotTrusted, "form-not-trusted", 403, "The form did not come from this console"},
    ProblemType{C::kCrossSiteRequest, "cross-site-request", 403,
                "The browser says this request came from another site"},
    ProblemType{C::kUnsupportedMediaType, "unsupported-media-type", 415,
                "The request body is not of the type this resource takes"},
    ProblemType{C::kInvalidTransactionId, "invalid-transaction-id", 400, "X-Transaction-Id must be a UUID"},
    ProblemType{C::kTransactionInProgress, "transaction-in-progress", 409,
                "This transaction is being processed"},
    ProblemType{C::kInvalidMessage, "invalid-message", 400, "The message is not valid for this flow"},
    ProblemType{C::kTransactionConflict, "transaction-conflict", 409,
                "This transaction id belongs to another exchange"},
    ProblemType{C::kIdentityConflict, "identity-conflict", 403,
                "The message's identifiers belong to different persons"},
    ProblemType{C::kFlowNotAllowed, "flow-not-allowed", 403, "This party may not send this flow"},
    ProblemType{C::kPurposeMismatch, "purpose-mismatch", 403, "The stated purpose is not the flow's purpose"},
    ProblemType{C::kNoKoppeling, "no-koppeling", 403, "The person is not gekoppeld to the recipient"},
    ProblemType{C::kLawRegime, "law-regime", 403, "The person's law regime gives no basis"},
    ProblemType{C::kNoAgreement, "no-agreement", 403, "No valid agreement covers this exchange"},
    ProblemType{C::kNoConsent, "no-consent", 403, "No active consent covers this exchange"},
    ProblemType{C::kKoppelingConflict, "koppeling-conflict", 409,
                "The herkoppeling is dated before the koppeling in force began"},
    ProblemType{C::kSubjectUnknown, "subject-unknown", 404, "The source system does not know this person"},
    ProblemType{C::kSourceUnreachable, "source-unreachable", 502, "The source system could not be reached"},
    ProblemType{C::kSourceInvalidAnswer, "source-invalid-answer", 502,
                "The source system's answer is not usable"},
    ProblemType{C::kSourceTimeout, "source-timeout", 504, "The source system did not answer in time"},
    ProblemType{C::kLogUnavailable, "log-unavailable", 503, "The exchange log cannot be written"},
    ProblemType{C::kInternalError, "internal-error", 500, "Internal error"},
};

constexpr bool inEnumOrder() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<std::size_t>(kCatalogue[i].code) != i) return false;
  }
  return static_cast<std::size_t>(C::kInternalError) + 1 == kCatalogue.size();
}
static_assert(inEnumOrder(), "one catalogue entry per ProblemCode, in the enum's order");

Problem make(C code, std::string detail) { return {code, std::move(detail)}; }
}  // namespace

std::span<const ProblemType> problemCatalogue() { return kCatalogue; }

const ProblemType& problemType(ProblemCode code) { return kCatalogue.at(static_cast<std::size_t>(code)); }

std::optional<ProblemCode> problemCodeNamed(std::string_view name) {
  for (const ProblemType& type : kCatalogue) {
    if (type.name == name) return type.code;
  }
  return std::nullopt;
}

std::string renderProblemJson(const Problem& problem, std::string_view instance) {
  const ProblemType& type = problemType(problem.code);
  boost::json::object o;
  o["type"] = "urn:ketenpoort:problem:" + std::string(type.name);
  o["title"] = type.title;
  o["status"] = type.status;
  o["code"] = type.name;
  if (!problem.detail.empty()) o["detail"] = problem.detail;
  if (!instance.empty()) o["instance"] = instance;
  return boost::json::serialize(o);
}

namespace problems {
Problem badRequest(std::string detail) { return make(C::kBadRequest, std::move(detail)); }
Problem notFound(std::string detail) { return make(C::kNotFound, std::move(detail)); }
Problem methodNotAllowed(std::string detail) { return make(C::kMethodNotAllowed, std::move(detail)); }
Problem payloadTooLarge(std::size_t limit) {
  return make(C::kPayloadTooLarge, "the limit is " + std::to_string(limit) + " bytes");
}
Problem headerTooLarge(std::size_t limit) {
  return make(C::kHeaderTooLarge, "the limit is " + std::to_string(limit) + " bytes");
}
Problem unknownParty(std::string detail) { return make(C::kUnknownParty, std::move(detail)); }
Problem testPartyRefused(std::string detail) { return make(C::kTestPartyRefused, std::move(detail)); }
Problem invalidClientCertificate(std::string detail) {
  return make(C::kInvalidClientCertificate, std::move(detail));
}
Problem roleNotAllowed(std::string detail) { return make(C::kRoleNotAllowed, std::move(detail)); }
Problem internalError() { return make(C::kInternalError, "the incident has been logged"); }
Problem invalidQuery(std::string detail) { return make(C::kInvalidQuery, std::move(detail)); }
Problem formNotTrusted(std::string detail) { return make(C::kFormNotTrusted, std::move(detail)); }
Problem crossSiteRequest(std::string detail) { return make(C::kCrossSiteRequest, std::move(detail)); }
Problem unsupportedMediaType(std::string detail) { return make(C::kUnsupportedMediaType, std::move(detail)); }

Problem bsnInUrl(const std::string& post_form) {
  return make(C::kBsnInUrl,
              "URLs end up in access logs, proxies and browser history; send it in the JSON body of " +
                  post_form + " instead");
}
Problem logUnavailable() {
  return make(C::kLogUnavailable, "nothing was done; try again when the gateway reports ready");
}
Problem refused(std::string_view reason, std::string detail) {
  const auto code = problemCodeNamed(reason);
  if (!code) return internalError();
  return make(*code, std::move(detail));
}
Problem invalidTransactionId() {
  return make(C::kInvalidTransactionId, "leave it out and the gateway assigns one");
}
Problem duplicateHeader(std::string_view name) {
  return make(C::kDuplicateHeader, std::string(name) + " was sent more than once; send it once");
}
Problem transactionInProgress() {
  return make(C::kTransactionInProgress, "send it again shortly; it will be answered with its first result");
}
Problem sourceUnreachable(std::string detail) { return make(C::kSourceUnreachable, std::move(detail)); }
Problem sourceTimeout(std::string detail) { return make(C::kSourceTimeout, std::move(detail)); }
Problem sourceInvalidAnswer(std::string detail) { return make(C::kSourceInvalidAnswer, std::move(detail)); }
Problem subjectUnknown(std::string detail) { return make(C::kSubjectUnknown, std::move(detail)); }
}  // namespace problems

}  // namespace ketenpoort
