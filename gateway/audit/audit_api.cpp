#include "gateway/audit/audit_api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <variant>

#include "gateway/api/query_string.hpp"
#include "gateway/api/request_task.hpp"
#include "gateway/api/strict_json.hpp"
#include "gateway/audit/audit_queries.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {
namespace {

ApiResponse json(const boost::json::value& body) {
  ApiResponse r;
  r.body = boost::json::serialize(body);
  return r;
}

// The parameters of a query: from the URL's query string (GET), or from the JSON body of a
// POST, an object of strings (the form that may name a person: a BSN never goes in a URL).
Result<std::map<std::string, std::string>> parametersOf(const ApiRequest& request, const std::string& route) {
  if (request.method == "GET") {
    const auto params = parseQueryString(request.query);
    if (!params) return problems::invalidQuery("malformed or repeated query parameter");
    if (params->contains("bsn")) return problems::bsnInUrl("POST " + route);
    return *params;
  }
  const auto body = parseStrictJson(request.body);
  if (!body.ok()) return body.problem();  // also a key given twice: not read as its last value
  const boost::json::object* fields = body->if_object();
  if (!request.query.empty() || !fields) {
    return problems::invalidQuery("the body is a JSON object of strings and the URL has no query");
  }
  std::map<std::string, std::string> params;
  for (const auto& [key, value] : *fields) {
    if (!value.is_string()) return problems::invalidQuery("every parameter is a string");
    params.emplace(std::string(key), std::string(value.as_string()));
  }
  return params;
}

// A page of exchanges holds this many records unless the caller asks for fewer.
constexpr std::uint64_t kDefaultPage = 100;

// The API's word for each condition of a search.
constexpr std::pair<std::string_view, SearchCondition> kConditions[] = {
    {"bsn", SearchCondition::kBsn},
    {"from", SearchCondition::kFrom},
    {"to", SearchCondition::kTo},
    {"flow", SearchCondition::kFlow},
    {"party", SearchCondition::kParty},
    {"outcome", SearchCondition::kOutcome},
    {"limit", SearchCondition::kLimit},
    {"after", SearchCondition::kAfter},
    {"trace_id", SearchCondition::kTraceId},
    {"processing_activity_id", SearchCondition::kActivity}};

// Reads the parameters a query allows into a filter; a problem for anything else.
Result<ExchangeQuery> filterFrom(const AuditApiContext& c, const ApiRequest& request, const std::string& route,
                                 const std::vector<std::string_view>& allowed) {
  const auto params = parametersOf(request, route);
  if (!params.ok()) return params.problem();
  ExchangeQuery f;
  const Party* organisation = c.config.findPartyById(request.caller->organisation.value_or(""));
  if (!organisation) return problems::roleNotAllowed("the caller serves no configured organisation");
  f.organisation_oin = organisation->oin.str();
  const SearchScope scope{c.config, c.catalogue, &c.referencer, &c.activities};
  for (const auto& [key, value] : *params) {
    const auto* condition = std::find_if(std::begin(kConditions), std::end(kConditions),
                                         [&name = key](const auto& entry) { return entry.first == name; });
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end() || condition == std::end(kConditions)) {
      // The name came from the URL: not echoed.
      std::string known;
      for (std::string_view a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return problems::invalidQuery("an unknown parameter; this query takes " + known);
    }
    if (auto wrong = narrowSearch(scope, condition->second, key, value, f)) return problems::invalidQuery(*wrong);
  }
  return f;
}

boost::json::object exchangeJson(const LoggedExchange& e, const GatewayConfig& config) {
  const auto& r = e.record;
  const auto name = [&config](const std::string& oin) {
    const auto parsed = Oin::parse(oin);
    const Party* p = parsed ? config.findPartyByOin(*parsed) : nullptr;
    return p ? p->id : oin;
  };
  boost::json::array delivered;
  for (const auto& f : r.fields_delivered) delivered.emplace_back(f);
  boost::json::array withheld;
  for (const auto& w : r.fields_withheld) {
    withheld.emplace_back(boost::json::object{{"field", w.field}, {"reason", w.reason}});
  }
  return {{"sequence", e.sequence},
          {"transaction_id", r.transaction_id},
          {"time", r.time_utc},
          {"flow", r.flow},
          {"sender", name(r.sender_oin)},
          {"sender_oin", r.sender_oin},
          {"recipient", name(r.recipient_oin)},
          {"recipient_oin", r.recipient_oin},
          {"purpose", r.purpose},
          {"legal_basis", r.legal_basis},
          {"consent_id", r.consent_id},
          {"agreement_id", r.agreement_id},
          {"outcome", toString(r.outcome)},
          {"reason", r.reason},
          {"fields_delivered", std::move(delivered)},
          {"fields_withheld", std::move(withheld)},
          {"retention_until", r.retention_until},
          {"delivered_into", r.delivered_into}};
}

using Answer = std::function<boost::json::value(const AuditApiContext&, const ExchangeQuery&)>;

// The common shape of every audit route, one request (the request model of ADR 0015): on
// a worker, check the parameters, record the query in the exchange log, then answer.
RequestTask auditQuery(std::shared_ptr<const AuditApiContext> context, std::string name, std::string route,
                       std::vector<std::string_view> allowed, Answer answer, ApiRequest request) {
  const AuditApiContext& c = *context;
  co_await ResumeOn(c.run_blocking);
  const auto filter = filterFrom(c, request, route, allowed);
  if (!filter.ok()) co_return problemResponse(filter.problem(), route);
  // Recorded first: a query the log cannot hold is not answered.
  if (!recordAuditQuery(c.log, request.caller->oin.str(), name, *filter).ok) {
    co_return problemResponse(problems::logUnavailable(), route);
  }
  co_return json(answer(c, *filter));
}

// GET takes its parameters in the URL; a query that can name a person (`bsn` allowed) is
// also a POST with them in the body, and its GET refuses a BSN. `post_only`: no GET.
void addQuery(Router& router, const std::shared_ptr<const AuditApiContext>& context, const std::string& name,
              const std::vector<std::string_view>& allowed, const Answer& answer, const std::string& path = "",
              bool post_only = false) {
  const std::string route = path.empty() ? "/v1/audit/" + name : path;
  const bool names_a_person = std::find(allowed.begin(), allowed.end(), "bsn") != allowed.end();
  for (const char* method : {"GET", "POST"}) {
    if (std::string_view(method) == "POST" && !names_a_person) continue;
    if (std::string_view(method) == "GET" && post_only) continue;
    router.addAsync(method, route,
                    [context, name, route, allowed, answer](ApiRequest request, Router::Respond respond) {
                      auditQuery(context, name, route, allowed, answer, std::move(request)).start(std::move(respond));
                    });
  }
}

std::vector<LoggedExchange> exchangesOnly(const AuditApiContext& c, ExchangeQuery f) {
  f.exchanges_only = true;
  return c.log.findExchanges(f);
}

}  // namespace

void addAuditRoutes(Router& router, const AuditApiContext& context) {
  auto built = std::make_shared<AuditApiContext>(context);
  built->activities = processingActivities(context.catalogue);
  const std::shared_ptr<const AuditApiContext> shared_context = std::move(built);
  // Keyset pages: `next_after` (when the page is full) is the `after` of the next one.
  addQuery(router, shared_context, "exchanges", {"bsn", "from", "to", "flow", "party", "outcome", "limit", "after"},
           [](const AuditApiContext& c, const ExchangeQuery& filter) -> boost::json::value {
             ExchangeQuery f = filter;
             if (f.limit == 0) f.limit = kDefaultPage;
             const auto page = exchangesOnly(c, f);
             boost::json::array out;
             for (const auto& e : page) out.emplace_back(exchangeJson(e, c.config));
             boost::json::object answer{{"exchanges", std::move(out)}};
             if (page.size() == f.limit) answer["next_after"] = std::to_string(page.back().sequence);
             return answer;
           });
  addQuery(router, shared_context, "refusals", {"from", "to", "flow", "party"},
           [](const AuditApiContext& c, const ExchangeQuery& f) -> boost::json::value {
             boost::json::array out;
             for (const auto& [key, count] : countRefusals(exchangesOnly(c, f))) {
               out.emplace_back(
                   boost::json::object{{"flow", std::get<0>(key)}, {"reason", std::get<1>(key)}, {"count", count}});
             }
             return boost::json::object{{"refusals", std::move(out)}};
           });
  addQuery(
      router, shared_context, "withheld", {"from", "to", "flow", "party"},
      [](const AuditApiContext& c, const ExchangeQuery& f) -> boost::json::value {
        boost::json::array out;
        for (const auto& [key, count] : countWithheld(exchangesOnly(c, f))) {
          out.emplace_back(boost::json::object{
              {"flow", std::get<0>(key)}, {"field", std::get<1>(key)}, {"reason", std::get<2>(key)}, {"count", count}});
        }
        return boost::json::object{{"withheld", std::move(out)}};
      });
  // Consents towards the officer's own organisation.
  addQuery(router, shared_context, "consents", {"bsn"},
           [](const AuditApiContext& c, const ExchangeQuery& f) -> boost::json::value {
             boost::json::array out;
             const CivilDate today = c.clock.today();
             for (const auto& consent : c.registries.listConsentsByReference(f.subject_ref)) {
               if (consent.recipient_oin != f.organisation_oin) continue;
               out.emplace_back(boost::json::object{{"id", consent.id},
                                                    {"purpose", consent.purpose_id},
                                                    {"recipient_oin", consent.recipient_oin},
                                                    {"evidence", consent.evidence_ref},
                                                    {"granted", consent.granted},
                                                    {"expires", consent.expires},
                                                    {"withdrawn", consent.withdrawn},
                                                    {"status", toString(consent.statusOn(today))}});
             }
             return boost::json::object{{"consents", std::move(out)}};
           });
  // LDV's "lezen": the officer's organisation's processing as LDV records, by data subject
  // (a BSN in the body, looked up by its keyed reference), processing activity, trace or
  // time window; keyset pages over the log.
  addQuery(
      router, shared_context, "ldv-processing-activities",
      {"bsn", "processing_activity_id", "trace_id", "from", "to", "limit", "after"},
      [](const AuditApiContext& c, const ExchangeQuery& filter) -> boost::json::value {
        ExchangeQuery f = filter;
        if (f.limit == 0) f.limit = kDefaultPage;
        const auto page = c.log.findExchanges(f);
        boost::json::array out;
        for (const auto& e : page) {
          if (auto record = ldvRecord(e, c.activities)) out.emplace_back(std::move(*record));
        }
        boost::json::object answer{{"records", std::move(out)}};
        if (page.size() == f.limit) answer["next_after"] = std::to_string(page.back().sequence);
        return answer;
      },
      "/v1/ldv/processing-activities", true);
}

}  // namespace ketenpoort
