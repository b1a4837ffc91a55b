#include <boost/json/parse.hpp>

#include <memory>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/identity/bsn.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

// One question of a gemeente, from its request to its answer. Shared by the tasks that
// run it (a worker, then a query thread, then the log's writer).
struct Query : std::enable_shared_from_this<Query> {
  Query(ExchangeContext context, ApiRequest req, Router::Respond r)
      : c(std::move(context)), request(std::move(req)), respond(std::move(r)) {}

  ExchangeContext c;  // a copy: a query outlives the task that started it
  ApiRequest request;
  Router::Respond respond;

  std::string flow_id;  // from the catalogue, or "" when the URL names no flow
  std::string transaction_id = newUuidV7();
  std::string trace_id;
  std::string purpose;         // a purpose of the mappings, or "" (never the header's text)
  std::string stated_purpose;  // the header as sent: compared, never stored or echoed
  std::string bsn;
  std::string subject_ref;  // once the BSN is known to be valid
  std::string source_oin;   // the source party's, once known

  ExchangeRecord record() const {
    ExchangeRecord r = exchangeRecord(c.clock, transaction_id, trace_id, flow_id, source_oin,
                                      request.caller->oin.str(), purpose);
    r.subject_ref = subject_ref;
    return r;
  }

  // Logs the refusal or failure, then answers with `problem`; if it cannot be logged, 503.
  void notDone(ExchangeOutcome outcome, std::string_view reason, Problem problem,
               std::string legal_basis = {}) {
    ExchangeRecord r = record();
    r.legal_basis = std::move(legal_basis);
    logNotDone(c, std::move(r), outcome, reason,
               [self = shared_from_this(), problem = std::move(problem)](bool ok) {
      self->respond(ok ? problemResponse(problem, self->instancePath())
                       : problemResponse(problems::logUnavailable(), self->instancePath()));
    });
  }
  void refuse(std::string_view reason, std::string detail, std::string legal_basis = {}) {
    notDone(ExchangeOutcome::kRefused, reason, problems::refused(reason, std::move(detail)),
            std::move(legal_basis));
  }
  void fail(const Problem& problem, const std::string& legal_basis) {
    notDone(ExchangeOutcome::kFailed, problem.name(), problem, legal_basis);
  }

  // The problem's instance: the route with the catalogue's flow name, never the URL's text.
  std::string instancePath() const {
    return "/v1/bevragingen/" + (flow_id.empty() ? std::string("{flow}") : flow_id);
  }

  // On a worker: everything that can be decided before the source is asked.
  void start() {
    const FlowDefinition* flow = c.catalogue.findFlow(request.param("flow"));
    if (flow) flow_id = flow->id;
    stated_purpose = requestHeader(request, "x-doelbinding");
    purpose = knownPurpose(c.catalogue, stated_purpose);
    trace_id = traceIdFrom(requestHeader(request, "traceparent"));
    // {"bsn": "…"} and nothing else: the person is named in the body, never in the URL.
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(request.body, ec);
    const boost::json::object* fields = ec ? nullptr : body.if_object();
    const boost::json::value* given = fields && fields->size() == 1 ? fields->if_contains("bsn") : nullptr;
    if (!request.query.empty() || !given || !given->is_string()) {
      respond(problemResponse(problems::invalidQuery("the body is {\"bsn\": \"<9 digits>\"} and the URL has no query"),
                              instancePath()));
      return;
    }
    bsn = std::string(given->as_string());
    if (!isValidBsn(bsn)) {
      respond(problemResponse(problems::invalidQuery("bsn is not a valid BSN (elfproef)"), instancePath()));
      return;
    }
    subject_ref = c.referencer.reference({SubjectKey::Kind::kBsn, bsn});

    if (!flow || flow->kind != FlowKind::kQuery) {
      refuse(reasons::kFlowNotAllowed, flow ? flow_id + " is not a query flow"
                                            : "the catalogue has no flow by the name in the URL");
      return;
    }
    const auto source = sourceFor(c, *flow);
    if (source) source_oin = source->party->oin.str();
    const PolicyDecision before = c.policy.mayAsk(*request.caller, *flow, stated_purpose, bsn, c.clock.today());
    if (!before.allowed) {
      refuse(before.reason, before.detail, flow->basis_article);
      return;
    }
    const auto inbound = c.adapters.inbound_by_flow.find(flow_id);
    if (!source || inbound == c.adapters.inbound_by_flow.end()) {
      fail(problems::sourceUnreachable("no source system is configured for " + flow_id),
           flow->basis_article);
      return;
    }
    c.run_query([self = shared_from_this(), flow, route = *source, format = inbound->second] {
      try {
        self->ask(*flow, route, *format);
      } catch (const std::exception& e) {
        logError("query-failed", {{"error", e.what()}, {"transaction", self->transaction_id}});
        self->respond(problemResponse(problems::internalError(), self->instancePath()));
      }
    });
  }

  // On a query thread: ask, check the answer, decide, answer.
  void ask(const FlowDefinition& flow, const SourceRoute& source, const InboundFormat& format) {
    const SourceReply reply = source.system->fetchPerson(source.url, flow_id, bsn, transaction_id,
                                                         c.config.queries.timeout);
    if (reply.outcome != SourceReply::Outcome::kAnswered) {
      logWarn("source-not-answered", {{"flow", flow_id}, {"transaction", transaction_id},
                                      {"error", reply.error}});
      fail(sourceProblem(reply), flow.basis_article);
      return;
    }
    auto decoded = format.decode(flow, reply.body);
    if (auto* error = std::get_if<std::string>(&decoded)) {
      fail(problems::sourceInvalidAnswer(*error), flow.basis_article);
      return;
    }
    const MappingOutcome mapped = mapSourceDocument(flow, std::get<SourceNode>(decoded));
    if (!mapped.ok()) {
      fail(problems::sourceInvalidAnswer(mapped.errors.front()), flow.basis_article);
      return;
    }
    const auto about = subjectOf(flow, mapped.record);
    if (!about || about->value != bsn) {
      fail(problems::sourceInvalidAnswer("the answer is not about the person asked for"),
           flow.basis_article);
      return;
    }
    const Party& asker = *request.caller;
    const PolicyDecision decision = c.policy.decide({asker, flow, stated_purpose, mapped, asker, c.clock.today()});
    if (!decision.allowed) {
      refuse(decision.reason, decision.detail, flow.basis_article);
      return;
    }
    const auto outbound = c.adapters.outbound_by_role.find(asker.role);
    if (outbound == c.adapters.outbound_by_role.end()) {
      refuse(reasons::kFlowNotAllowed, "the gateway has no adapter that answers " + asker.id,
             flow.basis_article);
      return;
    }
    ApiResponse answer;
    answer.content_type = std::string(outbound->second->contentType());
    answer.body = outbound->second->render({flow, transaction_id, flow.basis_article, decision.delivered});
    answer.headers.emplace_back("X-Transaction-Id", transaction_id);

    ExchangeRecord r = record();
    recordDecision(r, flow, decision, c.referencer, answer.body);
    r.outcome = ExchangeOutcome::kDelivered;
    // Answered only once the record is durable: what the log does not hold did not happen.
    c.log.append(std::move(r), [self = shared_from_this(), answer = std::move(answer)](
                                   const AppendResult& result) mutable {
      self->respond(result.ok ? std::move(answer)
                              : problemResponse(problems::logUnavailable(), self->instancePath()));
    });
  }
};

}  // namespace

void addQueryRoutes(Router& router, const ExchangeContext& context) {
  // The former form, GET …?bsn=: refused before anything is read from it.
  router.add("GET", "/v1/bevragingen/{flow}", [](const ApiRequest&) {
    return problemResponse(problems::bsnInUrl("POST /v1/bevragingen/{flow}"), "/v1/bevragingen/{flow}");
  });
  router.addAsync("POST", "/v1/bevragingen/{flow}", [context](ApiRequest request, Router::Respond respond) {
    context.run_blocking([context, request = std::move(request), respond = std::move(respond)]() mutable {
      auto query = std::make_shared<Query>(context, std::move(request), std::move(respond));
      try {
        query->start();
      } catch (const std::exception& e) {
        logError("query-failed", {{"error", e.what()}});
        query->respond(problemResponse(problems::internalError(), query->instancePath()));
      }
    });
  });
}

}  // namespace ketenpoort
