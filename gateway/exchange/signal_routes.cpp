#include <boost/json/object.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <map>
#include <memory>

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
  std::map<std::string, std::size_t> refused;
  std::size_t old_law_persons = 0;
  std::size_t old_law_candidates = 0;
  std::size_t old_law_loan = 0;  // at or over the loan threshold, whatever the time left
};

// One ELIP run for one gemeente: reads the source's overview, derives, and (when `signal`)
// queues the signals. Runs on a query thread. Every signal is handed to the log's writer
// without waiting for the one before (they share its group commits); the run waits once,
// at the end, until all are durable.
class ElipRun {
 public:
  ElipRun(const ExchangeContext& c, const Party& gemeente, std::string purpose, std::string trace_id)
      : c_(c), gemeente_(gemeente), purpose_(std::move(purpose)), trace_id_(std::move(trace_id)) {}

  // The counts, or the problem the gemeente hears when the source could not be read.
  std::variant<ElipCounts, Problem> run(bool signal) {
    const ElipSignalSource& elip_source = *c_.adapters.elip;
    const FlowDefinition* elip = c_.catalogue.findFlow(elip_source.signalFlow());
    const FlowDefinition* status = c_.catalogue.findFlow(elip_source.personFlow());
    const auto source = elip ? sourceFor(c_, *elip) : std::nullopt;
    if (!elip || !status || !source) {
      return problems::sourceUnreachable("no source system is configured for " +
                                         std::string(elip_source.signalFlow()));
    }
    auto persons = source->system->fetchGemeente(source->url, elip->id, *gemeente_.cbs_code,
                                                 newUuidV7(), c_.config.queries.timeout);
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
        signalCandidate(*elip, *source->party, *subjectOf(*status, mapped.record), *person, a, today,
                        counts);
      }
    }
    const auto tally = outstanding_->waitForAll();
    if (tally.failed > 0) throw std::runtime_error("the exchange log cannot be written");
    counts.signalled = tally.queued;
    counts.already_signalled += tally.known;
    return counts;
  }

 private:
  void signalCandidate(const FlowDefinition& flow, const Party& source_party, const SubjectKey& subject,
                       const ElipSignalSource::Person& person, const ElipAssessment& a,
                       const CivilDate& today, ElipCounts& counts) {
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
    const auto outbound = c_.adapters.outbound_by_role.find(gemeente_.role);
    const bool allowed = decision.allowed && outbound != c_.adapters.outbound_by_role.end();
    // A refusal is decided afresh at every run (a koppeling may have come meanwhile), so it
    // gets an id of its own; only a queued signal takes the month's id.
    ExchangeRecord r = exchangeRecord(c_.clock, allowed ? transaction_id : newUuidV7(), trace_id_, flow.id,
                                      source_party.oin.str(), gemeente_.oin.str(), purpose_);
    r.legal_basis = flow.basis_article;
    r.subject_ref = subject_ref;
    if (!allowed) {
      const std::string reason(decision.allowed ? reasons::kFlowNotAllowed : decision.reason);
      ++counts.refused[reason];
      // Nothing leaves for a refusal; its record is awaited with the rest, not counted.
      logNotDone(c_, std::move(r), ExchangeOutcome::kRefused, reason, outstanding_->add(/*counts=*/false));
      return;
    }
    std::string body = outbound->second->render({flow, transaction_id, flow.basis_article, decision.delivered});
    recordDecision(r, flow, decision, c_.referencer, body);
    // The month's id makes the writer refuse a second signal that a concurrent run queued
    // after the read above: it counts as already signalled.
    queueExchange(c_, std::move(r), gemeente_, {}, std::move(body), outstanding_->add(/*counts=*/true),
                  outstanding_->addKnown());
  }

  // Writes handed to the log and not yet durable. Shared with their callbacks.
  class Outstanding : public std::enable_shared_from_this<Outstanding> {
   public:
    std::function<void(bool)> add(bool counts) {
      std::lock_guard lock(mutex_);
      ++left_;
      return [self = shared_from_this(), counts](bool ok) {
        std::lock_guard lock(self->mutex_);
        --self->left_;
        if (counts && ok) ++self->queued_;
        if (counts && !ok) ++self->failed_;
        self->done_.notify_all();
      };
    }
    // For the same write as the add() before it: the writer found its id logged already
    // (only one of the two callbacks is called).
    std::function<void()> addKnown() {
      return [self = shared_from_this()] {
        std::lock_guard lock(self->mutex_);
        --self->left_;
        ++self->known_;
        self->done_.notify_all();
      };
    }
    struct Tally {
      std::size_t queued = 0;
      std::size_t failed = 0;
      std::size_t known = 0;
    };
    // Once every write is done.
    Tally waitForAll() {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return left_ == 0; });
      return {queued_, failed_, known_};
    }
   private:
    std::mutex mutex_;
    std::condition_variable done_;
    std::size_t left_ = 0;
    std::size_t queued_ = 0;
    std::size_t failed_ = 0;
    std::size_t known_ = 0;
  };

  std::shared_ptr<Outstanding> outstanding_ = std::make_shared<Outstanding>();
  const ExchangeContext& c_;
  const Party& gemeente_;
  std::string purpose_;
  std::string trace_id_;
};

boost::json::object oldLawCounts(const ElipCounts& counts) {
  return {{"personen", counts.old_law_persons},
          {"elip_kandidaten", counts.old_law_candidates},
          {"lening_boven_drempel", counts.old_law_loan}};
}

// Both routes: a gemeente, the ELIP purpose, then the run on a query thread.
void addElipRoute(Router& router, const ExchangeContext& context, const char* method,
                  const std::string& path, bool signal) {
  router.addAsync(method, path, [context, signal](ApiRequest request, Router::Respond respond) {
    context.run_query([context, signal, request = std::move(request), respond = std::move(respond)] {
      const Party& caller = *request.caller;
      const FlowDefinition* flow = context.catalogue.findFlow(context.adapters.elip->signalFlow());
      const std::string purpose = requestHeader(request, "x-doelbinding");
      try {
        if (!flow || caller.role != PartyRole::kGemeente || !caller.cbs_code) {
          logInfo("elip-refused", {{"party", caller.id}, {"reason", reasons::kFlowNotAllowed}});
          respond(problemResponse(problems::refused(reasons::kFlowNotAllowed,
                                                    "only a gemeente receives ELIP signals"),
                                  request.path));
          return;
        }
        if (purpose != flow->purpose_id) {
          logInfo("elip-refused", {{"party", caller.id}, {"reason", reasons::kPurposeMismatch}});
          respond(problemResponse(problems::refused(reasons::kPurposeMismatch,
                                                    "ELIP signals serve purpose " + flow->purpose_id),
                                  request.path));
          return;
        }
        ElipRun run(context, caller, purpose, traceIdFrom(requestHeader(request, "traceparent")));
        auto result = run.run(signal);
        if (auto* problem = std::get_if<Problem>(&result)) {
          respond(problemResponse(*problem, request.path));
          return;
        }
        const ElipCounts& counts = std::get<ElipCounts>(result);
        boost::json::object body{{"gemeente", *caller.cbs_code},
                                 {"peildatum", formatIsoDate(context.clock.today())},
                                 {"oude_wet", oldLawCounts(counts)}};
        if (signal) {
          boost::json::object refused;
          for (const auto& [reason, n] : counts.refused) refused[reason] = n;
          body["personen"] = counts.persons;
          body["onleesbaar"] = counts.unreadable;
          body["signalen_verstuurd"] = counts.signalled;
          body["al_gesignaleerd"] = counts.already_signalled;
          body["geweigerd"] = std::move(refused);
        }
        logInfo(signal ? "elip-run" : "elip-counts",
                {{"gemeente", *caller.cbs_code}, {"signalled", counts.signalled},
                 {"old_law", counts.old_law_persons}});
        respond(jsonResponse(200, body));
      } catch (const std::exception& e) {
        logError("elip-run-failed", {{"error", e.what()}});
        respond(problemResponse(problems::logUnavailable(), request.path));
      }
    });
  });
}

}  // namespace

void addSignalRoutes(Router& router, const ExchangeContext& context) {
  if (!context.adapters.elip) return;
  const std::string flow(context.adapters.elip->signalFlow());
  addElipRoute(router, context, "POST", "/v1/signalen/" + flow, true);
  addElipRoute(router, context, "GET", "/v1/aantallen/" + flow, false);
}

}  // namespace ketenpoort
