#include <boost/json/parse.hpp>

#include "gateway/api/strict_json.hpp"

#include <memory>
#include <variant>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

// What the question says about itself, read before anything is decided.
struct QueryRequest : RequestHeading {
  std::string transaction_id = newUuidV7();
  std::string bsn;
  std::string subject_ref;

  std::string instancePath() const { return RequestHeading::instancePath("/v1/bevragingen/"); }
};

Result<QueryRequest> readQueryRequest(const ExchangeContext& c, const ApiRequest& request) {
  QueryRequest q;
  static_cast<RequestHeading&>(q) = readHeading(c, request);
  // {"bsn": "…"} and nothing else: the person is named in the body, never in the URL.
  // A key given twice is refused, not read as its last value.
  const auto body = parseStrictJson(request.body);
  const boost::json::object* fields = body.ok() ? body->if_object() : nullptr;
  const boost::json::value* given = fields && fields->size() == 1 ? fields->if_contains("bsn") : nullptr;
  if (!request.query.empty() || !given || !given->is_string()) {
    return problems::invalidQuery("the body is {\"bsn\": \"<9 digits>\"} and the URL has no query");
  }
  q.bsn = std::string(given->as_string());
  if (!isValidBsn(q.bsn)) return problems::invalidQuery("bsn is not a valid BSN (elfproef)");
  q.subject_ref = c.referencer.reference({SubjectKey::Kind::kBsn, q.bsn});
  return q;
}

// A question that gets no answer: refused, or failed at the source. Logged, then heard.
struct NotAnswered {
  ExchangeOutcome outcome;
  Problem problem;
  std::string legal_basis;
};
NotAnswered refusal(Reason reason, std::string detail, std::string legal_basis = {}) {
  return {ExchangeOutcome::kRefused, problems::refused(reason, std::move(detail)), std::move(legal_basis)};
}
NotAnswered failure(Problem problem, std::string legal_basis) {
  return {ExchangeOutcome::kFailed, std::move(problem), std::move(legal_basis)};
}

// Everything that can be decided before the source is asked: whom to ask, and how to read
// the answer.
struct Ask {
  SourceRoute source;
  const InboundFormat* format = nullptr;
};
// `source`: the flow's source system when it is a query flow (looked up once: its OIN is
// in the record whatever the outcome).
std::variant<NotAnswered, Ask> beforeAsking(const ExchangeContext& c, const ApiRequest& request, const QueryRequest& q,
                                            const std::optional<SourceRoute>& source) {
  const FlowDefinition* flow = q.flow;
  if (!flow || flow->kind != FlowKind::kQuery) {
    return refusal(Reason::kFlowNotAllowed,
                   flow ? q.flow_id + " is not a query flow" : "the catalogue has no flow by the name in the URL");
  }
  const PolicyDecision before = c.policy.mayAsk(*request.caller, *flow, q.stated_purpose, q.bsn, c.clock.today());
  if (!before.allowed) return refusal(before.reason, before.detail, flow->basis_article);
  const auto inbound = c.adapters.inbound_by_flow.find(flow->id);
  if (!source || inbound == c.adapters.inbound_by_flow.end()) {
    return failure(problems::sourceUnreachable("no source system is configured for " + flow->id), flow->basis_article);
  }
  return Ask{*source, inbound->second.get()};
}

// The answer that may pass, and its record.
struct Answer {
  ApiResponse response;
  ExchangeRecord record;
};

// On a query thread: ask the source, check its answer, decide on it, render.
std::variant<NotAnswered, Answer> askAndDecide(const ExchangeContext& c, const ApiRequest& request,
                                               const QueryRequest& q, const Ask& ask, ExchangeRecord record) {
  const FlowDefinition& flow = *q.flow;
  const SourceReply reply =
      ask.source.system->fetchPerson(ask.source.url, q.flow_id, q.bsn, q.transaction_id, c.config.queries.timeout);
  if (reply.outcome != SourceReply::Outcome::kAnswered) {
    logWarn("source-not-answered", {{"flow", q.flow_id}, {"transaction", q.transaction_id}, {"error", reply.error}});
    return failure(sourceProblem(reply), flow.basis_article);
  }
  auto decoded = ask.format->decode(flow, reply.body);
  if (auto* error = std::get_if<std::string>(&decoded)) {
    return failure(problems::sourceInvalidAnswer(*error), flow.basis_article);
  }
  const MappingOutcome mapped = mapSourceDocument(flow, std::get<SourceNode>(decoded));
  if (!mapped.ok()) return failure(problems::sourceInvalidAnswer(mapped.errors.front()), flow.basis_article);
  const auto about = subjectOf(flow, mapped.record);
  if (!about || about->value != q.bsn) {
    return failure(problems::sourceInvalidAnswer("the answer is not about the person asked for"), flow.basis_article);
  }
  const Party& asker = *request.caller;
  const PolicyDecision decision = c.policy.decide({asker, flow, q.stated_purpose, mapped, asker, c.clock.today()});
  if (!decision.allowed) return refusal(decision.reason, decision.detail, flow.basis_article);
  const auto outbound = c.adapters.outbound_by_role.find(asker.role);
  if (outbound == c.adapters.outbound_by_role.end()) {
    return refusal(Reason::kFlowNotAllowed, "the gateway has no adapter that answers " + asker.id, flow.basis_article);
  }
  Answer answer{{}, std::move(record)};
  answer.response.content_type = std::string(outbound->second->contentType());
  // An answer goes back to the asker in its role's format: a case system takes pushes only.
  answer.response.body =
      outbound->second->render({flow, q.transaction_id, flow.basis_article, decision.delivered, &decision.fields,
                                nullptr, answer.record.time_utc, &decision.subject});
  answer.response.headers.emplace_back("X-Transaction-Id", q.transaction_id);
  recordDecision(answer.record, flow, decision, c.referencer, answer.response.body);
  answer.record.outcome = ExchangeOutcome::kDelivered;
  return answer;
}

// One question of a gemeente, from its request to its answer: decided before asking on
// the connection's strand, asked on a query thread (the source system blocks), logged by
// the writer; answered only once the record is durable, whatever the outcome.
RequestTask query(std::shared_ptr<const ExchangeContext> context, ApiRequest request) {
  const ExchangeContext& c = *context;
  const auto read = readQueryRequest(c, request);
  if (!read.ok()) co_return problemResponse(read.problem(), "/v1/bevragingen/{flow}");
  const QueryRequest& q = *read;
  const auto record = [&](const std::string& source_oin) {
    ExchangeRecord r = exchangeRecord(c.clock, q.transaction_id, q.trace_id, q.flow_id, source_oin,
                                      request.caller->oin.str(), q.purpose);
    r.subject_ref = q.subject_ref;
    r.foreign_span_id = q.foreign_span_id;
    return r;
  };

  const auto source = q.flow && q.flow->kind == FlowKind::kQuery ? sourceFor(c, *q.flow) : std::nullopt;
  const std::string source_oin = source ? source->party->oin.str() : std::string();
  std::variant<NotAnswered, Answer> result = NotAnswered{};
  auto before = beforeAsking(c, request, q, source);
  if (auto* stop = std::get_if<NotAnswered>(&before)) {
    result = std::move(*stop);
  } else {
    const Ask& ask = std::get<Ask>(before);
    co_await ResumeOn(c.run_query);
    result = askAndDecide(c, request, q, ask, record(source_oin));
  }

  if (auto* answer = std::get_if<Answer>(&result)) {
    // What the log does not hold did not happen: the answer leaves once its record is durable.
    ExchangeWrite write{std::move(answer->record), {}, nullptr, nullptr};
    if (co_await written(c, std::move(write)) != Written::kDurable) {
      co_return problemResponse(problems::logUnavailable(), q.instancePath());
    }
    co_return std::move(answer->response);
  }
  NotAnswered& stop = std::get<NotAnswered>(result);
  ExchangeRecord r = record(source_oin);
  r.legal_basis = std::move(stop.legal_basis);
  ExchangeWrite write = notDoneWrite(c, std::move(r), stop.outcome, stop.problem.code);
  if (co_await written(c, std::move(write)) != Written::kDurable) {
    co_return problemResponse(problems::logUnavailable(), q.instancePath());
  }
  co_return problemResponse(stop.problem, q.instancePath());
}

}  // namespace

void addQueryRoutes(Router& router, const ExchangeContext& context) {
  // The former form, GET …?bsn=: refused before anything is read from it.
  router.add("GET", "/v1/bevragingen/{flow}", [](const ApiRequest&) {
    return problemResponse(problems::bsnInUrl("POST /v1/bevragingen/{flow}"), "/v1/bevragingen/{flow}");
  });
  auto shared_context = std::make_shared<const ExchangeContext>(context);
  router.addAsync("POST", "/v1/bevragingen/{flow}", [shared_context](ApiRequest request, Router::Respond respond) {
    query(shared_context, std::move(request)).start(std::move(respond));
  });
}

}  // namespace ketenpoort
