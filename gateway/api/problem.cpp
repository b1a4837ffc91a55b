#include "gateway/api/problem.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace ketenpoort {

std::string renderProblemJson(const Problem& problem, std::string_view instance) {
  boost::json::object o;
  o["type"] = "urn:ketenpoort:problem:" + problem.code;
  o["title"] = problem.title;
  o["status"] = problem.status;
  o["code"] = problem.code;
  if (!problem.detail.empty()) o["detail"] = problem.detail;
  if (!instance.empty()) o["instance"] = instance;
  return boost::json::serialize(o);
}

namespace problems {
Problem badRequest(std::string detail) {
  return {400, "bad-request", "The request is not valid HTTP", std::move(detail)};
}
Problem notFound(std::string detail) {
  return {404, "not-found", "No such resource", std::move(detail)};
}
Problem methodNotAllowed(std::string detail) {
  return {405, "method-not-allowed", "Method not allowed on this resource", std::move(detail)};
}
Problem payloadTooLarge(std::size_t limit) {
  return {413, "payload-too-large", "The request body is too large",
          "the limit is " + std::to_string(limit) + " bytes"};
}
Problem headerTooLarge(std::size_t limit) {
  return {431, "header-too-large", "The request header is too large",
          "the limit is " + std::to_string(limit) + " bytes"};
}
Problem unknownParty(std::string detail) {
  return {403, "unknown-party", "The calling organisation is not a known party",
          std::move(detail)};
}
Problem testPartyRefused(std::string detail) {
  return {403, "test-party-refused", "Test OINs are accepted only by a gateway in test mode",
          std::move(detail)};
}
Problem invalidClientCertificate(std::string detail) {
  return {403, "invalid-client-certificate",
          "The client certificate does not carry exactly one 20-digit OIN", std::move(detail)};
}
Problem roleNotAllowed(std::string detail) {
  return {403, "role-not-allowed", "The calling party's role may not use this listener",
          std::move(detail)};
}
Problem internalError() {
  return {500, "internal-error", "Internal error", "the incident has been logged"};
}
Problem invalidQuery(std::string detail) {
  return {400, "invalid-query", "The query parameters are not valid", std::move(detail)};
}
Problem bsnInUrl(const std::string& post_form) {
  return {400, "bsn-in-url", "A BSN does not belong in a URL",
          "URLs end up in access logs, proxies and browser history; send it in the JSON body of " +
              post_form + " instead"};
}
Problem logUnavailable() {
  return {503, "log-unavailable", "The exchange log cannot be written",
          "nothing was done; try again when the gateway reports ready"};
}
Problem refused(std::string_view reason, std::string detail) {
  // A refusal by the policy engine or the wire format: its reason code is the problem code.
  const unsigned status = reason == "invalid-message"        ? 400
                          : reason == "transaction-conflict" ? 409
                                                             : 403;
  const char* title = reason == "invalid-message"   ? "The message is not valid for this flow"
                      : reason == "flow-not-allowed" ? "This party may not send this flow"
                      : reason == "purpose-mismatch" ? "The stated purpose is not the flow's purpose"
                      : reason == "no-agreement"     ? "No valid agreement covers this exchange"
                      : reason == "law-regime"       ? "The person's law regime gives no basis"
                      : reason == "no-koppeling"     ? "The person is not gekoppeld to the recipient"
                      : reason == "no-consent"       ? "No active consent covers this exchange"
                      : reason == "identity-conflict" ? "The message's identifiers belong to different persons"
                      : reason == "transaction-conflict" ? "This transaction id belongs to another exchange"
                                                     : "The exchange is refused";
  return {status, std::string(reason), title, std::move(detail)};
}
Problem invalidTransactionId() {
  return {400, "invalid-transaction-id", "X-Transaction-Id must be a UUID",
          "leave it out and the gateway assigns one"};
}
Problem duplicateHeader(std::string_view name) {
  return {400, "duplicate-header", "A header that may appear once was sent more than once",
          std::string(name) + " was sent more than once; send it once"};
}
Problem transactionInProgress() {
  return {409, "transaction-in-progress", "This transaction is being processed",
          "send it again shortly; it will be answered with its first result"};
}
Problem sourceUnreachable(std::string detail) {
  return {502, "source-unreachable", "The source system could not be reached", std::move(detail)};
}
Problem sourceTimeout(std::string detail) {
  return {504, "source-timeout", "The source system did not answer in time", std::move(detail)};
}
Problem sourceInvalidAnswer(std::string detail) {
  return {502, "source-invalid-answer", "The source system's answer is not usable",
          std::move(detail)};
}
Problem subjectUnknown(std::string detail) {
  return {404, "subject-unknown", "The source system does not know this person", std::move(detail)};
}
}  // namespace problems

}  // namespace ketenpoort
