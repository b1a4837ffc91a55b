// The gemeente registers and withdraws the consent it obtained (issue 25): consent is given
// to the gemeente, at the brede intake, so the gemeente's own system records it here, for a
// person gekoppeld to it and a purpose for which some mapping asks consent towards a
// gemeente. Each change is one log record naming the consent (RegistryStore); the CLI
// (`ketenpoort consent`) stays for operators.
#include <boost/json/object.hpp>

#include <algorithm>
#include <memory>
#include <set>

#include "gateway/api/request_task.hpp"
#include "gateway/api/strict_json.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/exchange/exchange_routes.hpp"
#include "gateway/mapping/source_document.hpp"

namespace ketenpoort {

namespace {

constexpr std::size_t kMaxEvidenceLength = 200;
constexpr const char* kGrantRoute = "/v1/toestemmingen";
constexpr const char* kWithdrawRoute = "/v1/toestemmingen/{id}/intrekking";

// The purposes for which some flow's mapping asks the person's consent towards a gemeente:
// the whole flow (consent_required), an old-law person's (law regime wi2021-or-consent), or
// a field of the gemeente's list (needs_consent).
std::set<std::string> consentPurposesTowardsGemeenten(const MappingCatalogue& catalogue) {
  std::set<std::string> purposes;
  for (const auto& defined : catalogue.flows) {
    const FlowDefinition& flow = *defined;
    const RecipientRule* rule = flow.recipientRule(PartyRole::kGemeente);
    if (!rule) continue;
    const bool asks =
        flow.consent_required || flow.regime == RegimeRule::kWi2021OrConsent ||
        std::any_of(rule->allowed.begin(), rule->allowed.end(), [](const AllowedField& f) { return f.needs_consent; });
    if (asks) purposes.insert(flow.purpose_id);
  }
  return purposes;
}

// A reference into the gemeente's own records: printable text without control characters
// and without a run of eight or more digits (a BSN or V-nummer does not belong in it; it is
// shown to privacy officers and kept with the consent).
bool isEvidenceReference(std::string_view text) {
  if (text.empty() || text.size() > kMaxEvidenceLength) return false;
  std::size_t digits = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
    digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
    if (digits >= 8) return false;
  }
  return textProblem(text) == nullptr;
}

struct ConsentRequest {
  SubjectKey subject;
  std::string purpose;
  std::string evidence;
};

// The person's identifier, checked as the mappings check it (`persoon.bsn`,
// `persoon.vnummer` in the field dictionary): one rule for what a BSN or V-nummer is.
Result<SubjectKey> subjectFrom(const MappingCatalogue& catalogue, SubjectKey::Kind kind, std::string value) {
  const FieldDefinition* field =
      catalogue.fields.find(kind == SubjectKey::Kind::kBsn ? "persoon.bsn" : "persoon.vnummer");
  if (!field) return problems::internalError();
  if (const auto problem = checkFieldValue(*field, value)) {
    return problems::invalidQuery(std::string(kind == SubjectKey::Kind::kBsn ? "bsn" : "vnummer") + " is " + *problem);
  }
  return SubjectKey{kind, std::move(value)};
}

Result<ConsentRequest> readConsentRequest(const MappingCatalogue& catalogue, const ApiRequest& request) {
  const auto body = parseStrictJson(request.body);
  if (!body.ok()) return body.problem();
  const boost::json::object* fields = body->if_object();
  const char* shape = R"(the body is {"bsn" or "vnummer", "doelbinding", "bewijs"}, each a string)";
  if (!fields || !request.query.empty()) return problems::invalidQuery(shape);
  for (const auto& [key, value] : *fields) {
    const bool known = key == "bsn" || key == "vnummer" || key == "doelbinding" || key == "bewijs";
    if (!known || !value.is_string()) return problems::invalidQuery(shape);
  }
  const auto text = [fields](const char* key) -> std::optional<std::string> {
    const boost::json::value* v = fields->if_contains(key);
    return v ? std::optional(std::string(v->as_string())) : std::nullopt;
  };
  const auto bsn = text("bsn");
  const auto vnummer = text("vnummer");
  if (bsn.has_value() == vnummer.has_value())
    return problems::invalidQuery("name the person by bsn or by vnummer, once");
  ConsentRequest c;
  auto subject = bsn ? subjectFrom(catalogue, SubjectKey::Kind::kBsn, *bsn)
                     : subjectFrom(catalogue, SubjectKey::Kind::kVnummer, *vnummer);
  if (!subject.ok()) return subject.problem();
  c.subject = std::move(*subject);
  const auto purpose = text("doelbinding");
  const auto evidence = text("bewijs");
  if (!purpose || !evidence) return problems::invalidQuery(shape);
  if (!isEvidenceReference(*evidence)) {
    return problems::invalidQuery(
        "bewijs is a reference into your own records: 1 to 200 characters of text, "
        "no BSN or V-nummer in it");
  }
  c.purpose = *purpose;
  c.evidence = *evidence;
  return c;
}

// Only a gemeente registers consents, and only towards itself.
Result<const Party*> gemeenteCaller(const ApiRequest& request) {
  if (request.caller->role != PartyRole::kGemeente || !request.caller->cbs_code) {
    return problems::roleNotAllowed("only a gemeente registers the consents it obtained");
  }
  return request.caller;
}

struct ConsentRoutes {
  ExchangeContext context;
  std::set<std::string> purposes;
};

RequestTask grant(std::shared_ptr<const ConsentRoutes> routes, ApiRequest request) {
  const ExchangeContext& c = routes->context;
  const auto gemeente = gemeenteCaller(request);
  if (!gemeente.ok()) co_return problemResponse(gemeente.problem(), kGrantRoute);
  const auto asked = readConsentRequest(c.catalogue, request);
  if (!asked.ok()) co_return problemResponse(asked.problem(), kGrantRoute);
  if (!routes->purposes.contains(asked->purpose)) {
    // The purpose came from the body: not echoed.
    co_return problemResponse(
        problems::refused(Reason::kPurposeMismatch,
                          "doelbinding names no purpose for which a mapping asks consent towards a gemeente"),
        kGrantRoute);
  }
  co_await ResumeOn(c.run_blocking);
  const CivilDate today = c.clock.today();
  if (c.registries.gemeenteOf(asked->subject, today) != (*gemeente)->cbs_code) {
    co_return problemResponse(problems::refused(Reason::kNoKoppeling, "the person is not gekoppeld to you"),
                              kGrantRoute);
  }
  const auto granted =
      c.registries.grantConsent({asked->subject, asked->purpose, (*gemeente)->oin, asked->evidence, today, {}});
  if (!granted.ok) co_return problemResponse(problems::logUnavailable(), kGrantRoute);
  logInfo("consent-registered", {{"party", (*gemeente)->id}, {"consent", granted.id}, {"purpose", asked->purpose}});
  co_return jsonResponse(
      201, boost::json::object{
               {"toestemming_id", granted.id}, {"doelbinding", asked->purpose}, {"gegeven", formatIsoDate(today)}});
}

RequestTask withdraw(std::shared_ptr<const ConsentRoutes> routes, ApiRequest request) {
  const ExchangeContext& c = routes->context;
  const auto gemeente = gemeenteCaller(request);
  if (!gemeente.ok()) co_return problemResponse(gemeente.problem(), kWithdrawRoute);
  if (!request.query.empty() || !(request.body.empty() || request.body == "{}")) {
    co_return problemResponse(problems::invalidQuery("a withdrawal takes no query and no body"), kWithdrawRoute);
  }
  const std::string id(request.param("id"));
  co_await ResumeOn(c.run_blocking);
  // Another gemeente's consent, or none: the same answer, and the id is not echoed.
  const auto consent = c.registries.consent(id);
  if (!consent || consent->recipient_oin != (*gemeente)->oin.str()) {
    co_return problemResponse(problems::notFound("no consent with this id was registered by you"), kWithdrawRoute);
  }
  const CivilDate today = c.clock.today();
  if (consent->withdrawn.empty()) {
    const auto withdrawn = c.registries.withdrawConsent(id, today);
    if (!withdrawn.ok) {
      // Withdrawn meanwhile by another request: the answer below says when.
      if (!c.registries.consent(id) || c.registries.consent(id)->withdrawn.empty()) {
        co_return problemResponse(problems::logUnavailable(), kWithdrawRoute);
      }
    } else {
      logInfo("consent-withdrawn", {{"party", (*gemeente)->id}, {"consent", id}});
    }
  }
  // Queued deliveries that rest on it are withdrawn when they would leave (DeliveryBasis).
  co_return jsonResponse(
      200, boost::json::object{{"toestemming_id", id}, {"ingetrokken", c.registries.consent(id)->withdrawn}});
}

}  // namespace

void addConsentRoutes(Router& router, const ExchangeContext& context) {
  auto routes =
      std::make_shared<const ConsentRoutes>(ConsentRoutes{context, consentPurposesTowardsGemeenten(context.catalogue)});
  router.addAsync("POST", kGrantRoute, [routes](ApiRequest request, Router::Respond respond) {
    grant(routes, std::move(request)).start(std::move(respond));
  });
  router.addAsync("POST", kWithdrawRoute, [routes](ApiRequest request, Router::Respond respond) {
    withdraw(routes, std::move(request)).start(std::move(respond));
  });
}

}  // namespace ketenpoort
