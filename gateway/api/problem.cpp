#include "gateway/api/problem.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ketenpoort {

namespace {
using C = Reason;
Problem make(C code, std::string detail) { return {code, std::move(detail)}; }
}  // namespace

std::span<const ReasonType> problemCatalogue() {
  return reasonCatalogue().first(static_cast<std::size_t>(Reason::kInternalError) + 1);
}

std::string renderProblemJson(const Problem& problem, std::string_view instance) {
  const ReasonType& type = reasonType(problem.code);
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
Problem invalidClientCertificate(std::string detail) { return make(C::kInvalidClientCertificate, std::move(detail)); }
Problem roleNotAllowed(std::string detail) { return make(C::kRoleNotAllowed, std::move(detail)); }
Problem internalError() { return make(C::kInternalError, "the incident has been logged"); }
Problem invalidQuery(std::string detail) { return make(C::kInvalidQuery, std::move(detail)); }
Problem formNotTrusted(std::string detail) { return make(C::kFormNotTrusted, std::move(detail)); }
Problem crossSiteRequest(std::string detail) { return make(C::kCrossSiteRequest, std::move(detail)); }
Problem unsupportedMediaType(std::string detail) { return make(C::kUnsupportedMediaType, std::move(detail)); }

Problem bsnInUrl(const std::string& post_form) {
  return make(C::kBsnInUrl, "URLs end up in access logs, proxies and browser history; send it in the JSON body of " +
                                post_form + " instead");
}
Problem logUnavailable() {
  return make(C::kLogUnavailable, "nothing was done; try again when the gateway reports ready");
}
Problem refused(Reason reason, std::string detail) {
  if (reasonType(reason).status == 0) return internalError();
  return make(reason, std::move(detail));
}
Problem invalidTransactionId() { return make(C::kInvalidTransactionId, "leave it out and the gateway assigns one"); }
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
