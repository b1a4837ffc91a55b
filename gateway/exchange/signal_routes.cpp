#include <boost/json/object.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/signals/derived_signals.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

struct ElipCounts {
  std::size_t persons = 0;
  std::size_t unreadable = 0;
  std::size_t signalled = 0;
  std::size_t already_signalled = 0;
  std::map<Reason, std::size_t> refused;
  std::size_t old_law_persons = 0;
  std::size_t old_law_candidates = 0;
  std::size_t old_law_loan = 0;  // at or over the loan threshold, whatever the time left
};

// One ELIP run for one gemeente: reads the source's overview, derives, and (when `signal`)
// hands the signals to the log's writer without waiting for each (they share its group
// commits). Blocks on the source and on reads of the log, so it runs on a query thread;
// the request then waits, without a thread, until every write has reported.
class ElipRun {
 public:
  ElipRun(const ExchangeContext& c, const Party& gemeente, std::string purpose, std::string trace_id)
      : c_(c), gemeente_(gemeente), purpose_(std::move(purpose)), trace_id_(std::move(trace_id)) {}

  // The counts so far (the writes still pending), or the problem the gemeente hears when
  // the source could not be read.
  Result<ElipCounts> run(bool signal) {
    const ElipSignalSource& elip_source = *c_.adapters.elip;
    const FlowDefinition* elip = c_.catalogue.findFlow(elip_source.signalFlow());
    const FlowDefinition* status = c_.catalogue.findFlow(elip_source.personFlow());
    const auto source = elip ? sourceFor(c_, *elip) : std::nullopt;
    if (!elip || !status || !source) {
      return problems::sourceUnreachable("no source system is configured for " + std::string(elip_source.signalFlow()));
    }
    auto persons = source->system->fetchGemeente(source->url, elip->id, *gemeente_.cbs_code, newUuidV7(),
                                                 c_.config.queries.timeout);
    if (auto* reply = std::get_if<SourceReply>(&persons)) {
      logWarn("source-not-answered", {{"flow", elip->id}, {"error", reply->error}});
      return sourceProblem(*reply);
    }
    const CivilDate today = c_.clock.today();
    ElipCounts counts;
    for (const SourceNode& document : std::get<std::vector<SourceNode>>(persons)) {
      ++counts.persons;
      const MappingOutcome mapped = mapSourceDocument(*status, document);
      const auto person = mapped.ok() ? elip_source.person(mapped.record) : std::nullopt;
      if (!person) {
        ++counts.unreadable;
        continue;
      }
      const ElipAssessment a = assessElip(person->input, today, c_.config.signals);
      if (!person->wi2021) {
        // No basis for personal data: only counted, as the source's own portal does.
        ++counts.old_law_persons;
        if (a.candidate) ++counts.old_law_candidates;
        if (!person->input.obligation_met && a.loan_basis_points >= c_.config.signals.elip_loan_basis_points) {
          ++counts.old_law_loan;
        }
        continue;
      }
      if (a.candidate && signal) {
        signalCandidate(*elip, *source->party, *subjectOf(*status, mapped.record), *person, a, today, counts);
      }
    }
    return counts;
  }

  // co_await: until every write handed out has reported.
  PendingWrites::AllDone allWritten() { return writes_->allDone(); }

  struct Tally {
    std::atomic<std::size_t> queued{0};
    std::atomic<std::size_t> failed{0};
    std::atomic<std::size_t> known{0};  // a concurrent run queued the month's signal first
  };
  // Read once allWritten() is done.
  const Tally& tally() const { return *tally_; }

 private:
  void signalCandidate(const FlowDefinition& flow, const Party& source_party, const SubjectKey& subject,
                       const ElipSignalSource::Person& person, const ElipAssessment& a, const CivilDate& today,
                       ElipCounts& counts) {
    const SourceNode document = c_.adapters.elip->signalDocument(flow.source_root, subject, person, a);
    const MappingOutcome mapped = mapSourceDocument(flow, document);
    const std::string subject_ref = c_.referencer.reference(subject);
    // One signal per person, gemeente and month: a second run this month finds it.
    const std::string month = formatIsoDate(today).substr(0, 7);
    const std::string transaction_id =
        uuidFromName(flow.id + "/" + subject_ref + "/" + *gemeente_.cbs_code + "/" + month);
    if (c_.log.findTransaction(transaction_id)) {
      ++counts.already_signalled;
      return;
    }
    const PolicyDecision decision = c_.policy.decide({source_party, flow, purpose_, mapped, gemeente_, today});
    const OutboundFormat* outbound = outboundFormatFor(c_.adapters, gemeente_, flow.id);
    const bool allowed = decision.allowed && outbound != nullptr;
    // A refusal is decided afresh at every run (a koppeling may have come meanwhile), so it
    // gets an id of its own; only a queued signal takes the month's id.
    ExchangeRecord r = exchangeRecord(c_.clock, allowed ? transaction_id : newUuidV7(), trace_id_, flow.id,
                                      source_party.oin.str(), gemeente_.oin.str(), purpose_);
    r.legal_basis = flow.basis_article;
    r.subject_ref = subject_ref;
    if (!allowed) {
      const Reason reason = decision.allowed ? Reason::kFlowNotAllowed : decision.reason;
      ++counts.refused[reason];
      // Nothing leaves for a refusal; its record is awaited with the rest, not counted.
      hand(notDoneWrite(c_, std::move(r), ExchangeOutcome::kRefused, reason), /*counts=*/false);
      return;
    }
    r.delivered_into = outbound->deliveredInto(transaction_id);
    std::string body = outbound->render({flow, transaction_id, flow.basis_article, decision.delivered, &decision.fields,
                                         &source_party, r.time_utc, &decision.subject});
    recordDecision(r, flow, decision, c_.referencer, body);
    // The month's id makes the writer refuse a second signal that a concurrent run queued
    // after the read above: it counts as already signalled.
    hand(queuedWrite(c_, std::move(r), gemeente_, {}, std::move(body), /*first_of_its_id=*/true), /*counts=*/true);
  }

  void hand(ExchangeWrite write, bool counts) {
    writes_->expect();
    submitWrite(c_, std::move(write), [writes = writes_, tally = tally_, counts](Written written) {
      if (written == Written::kNotDurable) ++tally->failed;
      if (written == Written::kTransactionKnown) ++tally->known;
      if (written == Written::kDurable && counts) ++tally->queued;
      writes->report();
    });
  }

  const ExchangeContext& c_;
  const Party& gemeente_;
  std::string purpose_;
  std::string trace_id_;
  std::shared_ptr<PendingWrites> writes_ = std::make_shared<PendingWrites>();
  std::shared_ptr<Tally> tally_ = std::make_shared<Tally>();
};

boost::json::object oldLawCounts(const ElipCounts& counts) {
  return {{"personen", counts.old_law_persons},
          {"elip_kandidaten", counts.old_law_candidates},
          {"lening_boven_drempel", counts.old_law_loan}};
}

// A gemeente's ELIP request, from its request to its answer: the caller and purpose
// checked where it arrived, the run on a query thread, the answer once every signal it
// queued is durable (a refusal's record too).
RequestTask elipRequest(std::shared_ptr<const ExchangeContext> context, ApiRequest request, bool signal) {
  const ExchangeContext& c = *context;
  const Party& caller = *request.caller;
  const FlowDefinition* flow = c.catalogue.findFlow(c.adapters.elip->signalFlow());
  const std::string purpose = requestHeader(request, "x-doelbinding");
  if (!flow || caller.role != PartyRole::kGemeente || !caller.cbs_code) {
    logInfo("elip-refused", {{"party", caller.id}, {"reason", reasonName(Reason::kFlowNotAllowed)}});
    co_return problemResponse(problems::refused(Reason::kFlowNotAllowed, "only a gemeente receives ELIP signals"),
                              request.path);
  }
  if (purpose != flow->purpose_id) {
    logInfo("elip-refused", {{"party", caller.id}, {"reason", reasonName(Reason::kPurposeMismatch)}});
    co_return problemResponse(
        problems::refused(Reason::kPurposeMismatch, "ELIP signals serve purpose " + flow->purpose_id), request.path);
  }

  co_await ResumeOn(c.run_query);
  ElipRun run(c, caller, purpose, traceContextFrom(requestHeader(request, "traceparent")).trace_id);
  auto result = run.run(signal);
  co_await run.allWritten();
  if (!result.ok()) co_return problemResponse(result.problem(), request.path);
  if (run.tally().failed > 0) co_return problemResponse(problems::logUnavailable(), request.path);
  ElipCounts& counts = *result;
  counts.signalled = run.tally().queued;
  counts.already_signalled += run.tally().known;

  boost::json::object body{{"gemeente", *caller.cbs_code},
                           {"peildatum", formatIsoDate(c.clock.today())},
                           {"oude_wet", oldLawCounts(counts)}};
  if (signal) {
    boost::json::object refused;
    for (const auto& [reason, n] : counts.refused) refused[reasonName(reason)] = n;
    body["personen"] = counts.persons;
    body["onleesbaar"] = counts.unreadable;
    body["signalen_verstuurd"] = counts.signalled;
    body["al_gesignaleerd"] = counts.already_signalled;
    body["geweigerd"] = std::move(refused);
  }
  logInfo(signal ? "elip-run" : "elip-counts",
          {{"gemeente", *caller.cbs_code}, {"signalled", counts.signalled}, {"old_law", counts.old_law_persons}});
  co_return jsonResponse(200, body);
}

void addElipRoute(Router& router, const std::shared_ptr<const ExchangeContext>& context, const char* method,
                  const std::string& path, bool signal) {
  router.addAsync(method, path, [context, signal](ApiRequest request, Router::Respond respond) {
    elipRequest(context, std::move(request), signal).start(std::move(respond));
  });
}

}  // namespace

void addSignalRoutes(Router& router, const ExchangeContext& context) {
  if (!context.adapters.elip) return;
  const std::string flow(context.adapters.elip->signalFlow());
  auto shared_context = std::make_shared<const ExchangeContext>(context);
  addElipRoute(router, shared_context, "POST", "/v1/signalen/" + flow, true);
  addElipRoute(router, shared_context, "GET", "/v1/aantallen/" + flow, false);
}

}  // namespace ketenpoort
