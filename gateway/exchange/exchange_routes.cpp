#include "gateway/exchange/exchange_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <mutex>
#include <set>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/exchange/exchange_pipeline.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

std::string partyIdOf(const GatewayConfig& config, const std::string& oin) {
  const auto parsed = Oin::parse(oin);
  const Party* party = parsed ? config.findPartyByOin(*parsed) : nullptr;
  return party ? party->id : std::string();
}

boost::json::object acceptedBody(const std::string& transaction_id, const std::string& flow,
                                 const std::string& recipient_id) {
  return {{"transactie_id", transaction_id}, {"flow", flow}, {"status", "queued"},
          {"ontvanger", recipient_id}};
}

// Transactions being decided right now, so that a re-sent push arriving before the first
// is logged waits its turn instead of being decided twice.
class InFlight {
 public:
  bool begin(const std::string& key) {
    std::lock_guard lock(mutex_);
    return keys_.insert(key).second;
  }
  void end(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.erase(key);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> keys_;
};

struct Push : std::enable_shared_from_this<Push> {
  Push(ExchangeContext context, ApiRequest r, Router::Respond answer, std::shared_ptr<InFlight> flights)
      : c(std::move(context)), request(std::move(r)), respond(std::move(answer)), in_flight(std::move(flights)) {}

  ExchangeContext c;  // a copy: a push outlives the task that started it
  ApiRequest request;
  Router::Respond respond;
  std::shared_ptr<InFlight> in_flight;

  std::string flow_id;         // from the catalogue, or "" when the URL names no flow
  std::string transaction_id;  // canonical (lower case)
  std::string trace_id;
  std::string purpose;         // a purpose of the mappings, or "" (never the header's text)
  std::string stated_purpose;  // the header as sent: compared, never stored or echoed
  std::string request_digest;
  std::string key;  // the transaction id: one decision at a time, whoever sends it
  bool id_given = false;  // by the sender: its record must be the first of that id

  void finish(ApiResponse response) {
    in_flight->end(key);
    respond(std::move(response));
  }

  ExchangeRecord record(const std::string& recipient_oin) const {
    ExchangeRecord r = exchangeRecord(c.clock, transaction_id, trace_id, flow_id, request.caller->oin.str(),
                                      recipient_oin, purpose);
    r.request_sha256 = request_digest;
    return r;
  }

  // Logs the refusal, then answers with it; if even that cannot be logged, 503.
  void refuse(std::string_view reason, std::string detail, const std::string& recipient_oin,
              std::string legal_basis = {}, std::string subject_ref = {}) {
    ExchangeRecord r = record(recipient_oin);
    r.legal_basis = std::move(legal_basis);
    r.subject_ref = std::move(subject_ref);
    Problem problem = problems::refused(reason, std::move(detail));
    const bool first_of_its_id = id_given && reason != reasons::kTransactionConflict;
    // The callback runs on the log's writer thread; answering is a post, so it is quick.
    logNotDone(c, std::move(r), ExchangeOutcome::kRefused, reason,
               [self = shared_from_this(), problem = std::move(problem)](bool ok) {
                 self->finish(ok ? problemResponse(problem, self->instancePath())
                                 : problemResponse(problems::logUnavailable(), self->instancePath()));
               },
               first_of_its_id ? knownHandler() : nullptr);
  }

  // The transaction id was logged before (the writer found it): answer from the first
  // exchange. Reading it waits for the database, so not on the network thread.
  std::function<void()> knownHandler() {
    return [self = shared_from_this()] {
      self->c.run_blocking([self] {
        try {
          self->answerKnownTransaction();
        } catch (const std::exception& e) {
          logError("push-failed", {{"error", e.what()}});
          self->finish(problemResponse(problems::internalError(), self->instancePath()));
        }
      });
    };
  }

  // The problem's instance: the route with the catalogue's flow name, never the URL's text.
  std::string instancePath() const {
    return "/v1/berichten/" + (flow_id.empty() ? std::string("{flow}") : flow_id);
  }

  void run() {
    const Party& sender = *request.caller;
    const std::string_view named_flow = request.param("flow");
    const FlowDefinition* flow = c.catalogue.findFlow(named_flow);
    if (flow) flow_id = flow->id;
    stated_purpose = requestHeader(request, "x-doelbinding");
    purpose = knownPurpose(c.catalogue, stated_purpose);
    trace_id = traceIdFrom(requestHeader(request, "traceparent"));
    const std::string given = requestHeader(request, "x-transaction-id");
    std::optional<std::string> given_id;
    if (!given.empty()) {
      given_id = canonicalUuid(given);
      if (!given_id) {
        respond(problemResponse(problems::invalidTransactionId(), instancePath()));
        return;
      }
    }
    transaction_id = given_id.value_or(newUuidV7());
    request_digest = requestDigest(named_flow, stated_purpose,
                                   requestHeader(request, "x-ontvanger"), request.body);
    key = transaction_id;
    id_given = given_id.has_value();
    if (!in_flight->begin(key)) {
      respond(problemResponse(problems::transactionInProgress(), instancePath()));
      return;
    }

    if (!flow) {
      refuse(reasons::kFlowNotAllowed, "the catalogue has no flow by the name in the URL", {});
      return;
    }
    if (flow->kind != FlowKind::kPush || !flow->mayBeSentBy(sender.role)) {
      refuse(reasons::kFlowNotAllowed, "party " + sender.id + " may not push flow " + flow_id, {});
      return;
    }
    const auto inbound = c.adapters.inbound_by_flow.find(flow_id);
    if (inbound == c.adapters.inbound_by_flow.end()) {
      refuse(reasons::kFlowNotAllowed, "the gateway has no adapter that receives " + flow_id, {});
      return;
    }
    auto decoded = inbound->second->decode(*flow, request.body);
    if (auto* error = std::get_if<std::string>(&decoded)) {
      refuse(reasons::kInvalidMessage, *error, {});
      return;
    }
    const MappingOutcome mapped = mapSourceDocument(*flow, std::get<SourceNode>(decoded));
    if (!mapped.ok()) {
      std::string detail = mapped.errors.front();
      for (std::size_t i = 1; i < mapped.errors.size() && i < 5; ++i) detail += "; " + mapped.errors[i];
      refuse(reasons::kInvalidMessage, detail, {});
      return;
    }
    const Party* recipient = chooseRecipient(*flow, mapped);
    if (!recipient) return;  // refused inside
    decide(*flow, mapped, *recipient);
  }

  // The recipient: the one the sender names in X-Ontvanger, else the gemeente the record
  // is about (its koppeling). The policy engine then checks the koppeling either way.
  const Party* chooseRecipient(const FlowDefinition& flow, const MappingOutcome& mapped) {
    const std::string named = requestHeader(request, "x-ontvanger");
    if (!named.empty()) {
      const auto oin = Oin::parse(named);
      const Party* party = oin ? c.config.findPartyByOin(*oin) : c.config.findPartyById(named);
      if (!party) {
        refuse(reasons::kNoKoppeling, "X-Ontvanger names no known party", {});
        return nullptr;
      }
      return party;
    }
    if (flow.koppeling_field) {
      if (const CanonicalValue* v = mapped.record.first(flow.koppeling_field)) {
        for (const Party& p : c.config.parties) {
          if (p.role == PartyRole::kGemeente && p.cbs_code == v->value) return &p;
        }
        refuse(reasons::kNoKoppeling, "the gemeente the message names is not connected to this gateway", {});
        return nullptr;
      }
    }
    if (flow.koppeling_required) {
      // The registry knows where the person is gekoppeld; the sender need not.
      if (const auto subject = subjectOf(flow, mapped.record)) {
        const auto cbs = c.registries.gemeenteOf(*subject, c.clock.today());
        for (const Party& p : c.config.parties) {
          if (cbs && p.role == PartyRole::kGemeente && p.cbs_code == *cbs) return &p;
        }
      }
      refuse(reasons::kNoKoppeling, "the person is not gekoppeld to any gemeente connected to this gateway; "
                                    "name the recipient in X-Ontvanger", {});
      return nullptr;
    }
    refuse(reasons::kNoKoppeling, "the message does not say which gemeente the person is gekoppeld to", {});
    return nullptr;
  }

  void decide(const FlowDefinition& flow, const MappingOutcome& mapped, const Party& recipient) {
    const CivilDate today = c.clock.today();
    const PolicyDecision decision =
        c.policy.decide({*request.caller, flow, stated_purpose, mapped, recipient, today});
    if (!decision.allowed) {
      // The person's access report shows refused exchanges about them too.
      refuse(decision.reason, decision.detail, recipient.oin.str(), flow.basis_article,
             decision.subject ? c.referencer.reference(*decision.subject) : std::string());
      return;
    }
    const auto outbound = c.adapters.outbound_by_role.find(recipient.role);
    if (outbound == c.adapters.outbound_by_role.end()) {
      refuse(reasons::kFlowNotAllowed, "the gateway has no adapter that delivers to " + recipient.id,
             recipient.oin.str(), flow.basis_article);
      return;
    }
    std::string body =
        outbound->second->render({flow, transaction_id, flow.basis_article, decision.delivered});

    ExchangeRecord r = record(recipient.oin.str());
    recordDecision(r, flow, decision, c.referencer, body);

    std::vector<StoreChange> changes;
    if (flow.koppeling_field && decision.subject) {
      // The profile teaches the koppeling; learnt once, not again with every update.
      const CanonicalValue* gemeente = mapped.record.first(flow.koppeling_field);
      if (gemeente && decision.registered_koppeling != gemeente->value) {
        CivilDate from = today;
        if (const CanonicalValue* date = mapped.record.first(flow.koppeling_date_field)) {
          from = parseIsoDate(date->value).value_or(today);
        }
        changes.push_back(c.registries.koppelingChange(*decision.subject, gemeente->value,
                                                       std::min(from, today), transaction_id));
      }
    }
    if (decision.identity_link) {
      changes.push_back(c.registries.identityLinkChange(decision.identity_link->first,
                                                        decision.identity_link->second, transaction_id));
    }
    // Record, outbox entry and body in one transaction; 202 only once it is durable.
    queueExchange(c, std::move(r), recipient, std::move(changes), std::move(body),
                  [self = shared_from_this(), recipient_id = recipient.id](bool ok) {
                    self->finish(ok ? jsonResponse(202, acceptedBody(self->transaction_id, self->flow_id, recipient_id))
                                    : problemResponse(problems::logUnavailable(), self->instancePath()));
                  },
                  id_given ? knownHandler() : nullptr);
  }

  // A transaction id used before. The same sender with the same request hears the first
  // answer again; another sender, or another request under the id, is a conflict that
  // never touches the first exchange (its body, record or outbox entry).
  void answerKnownTransaction() {
    const auto first = c.log.findTransaction(transaction_id);
    if (!first) throw std::runtime_error("the writer found the transaction, the reader did not");
    const ExchangeRecord& r = first->record;
    if (r.sender_oin != request.caller->oin.str() || r.request_sha256 != request_digest) {
      refuse(reasons::kTransactionConflict,
             r.sender_oin != request.caller->oin.str()
                 ? "this transaction id is in use by another exchange; use a new one"
                 : "this transaction id was sent before with another request; use a new one",
             {});
      return;
    }
    logInfo("exchange-replayed", {{"flow", r.flow}, {"transaction", transaction_id}});
    if (r.outcome == ExchangeOutcome::kQueued || r.outcome == ExchangeOutcome::kDelivered) {
      finish(jsonResponse(202, acceptedBody(transaction_id, r.flow, partyIdOf(c.config, r.recipient_oin))));
    } else {
      finish(problemResponse(problems::refused(r.reason, "this transaction was refused when first sent"),
                             instancePath()));
    }
  }
};

// A route answered on a worker (it reads the store): a store that cannot be read is a
// logged 500, never an exception on a network thread.
template <class Handle>
void addWorkerRoute(Router& router, const ExchangeContext& context, const char* method,
                    std::string route, Handle handle) {
  router.addAsync(method, route, [context, route, handle](ApiRequest request, Router::Respond respond) {
    context.run_blocking([context, route, handle, request = std::move(request), respond = std::move(respond)] {
      try {
        respond(handle(context, request));
      } catch (const std::exception& e) {
        logError("route-failed", {{"route", route}, {"error", e.what()}});
        respond(problemResponse(problems::internalError(), route));
      }
    });
  });
}

}  // namespace

void addExchangeRoutes(Router& router, const ExchangeContext& context) {
  auto in_flight = std::make_shared<InFlight>();
  // Decoded, mapped and decided right here on the connection's strand (microseconds, no
  // database: registries come from memory); the log's writer is the only hand-off, and
  // the answer comes back to the strand when the write is durable.
  router.addAsync("POST", "/v1/berichten/{flow}",
                  [context, in_flight](ApiRequest request, Router::Respond respond) {
    auto push = std::make_shared<Push>(context, std::move(request), std::move(respond), in_flight);
    try {
      push->run();
    } catch (const std::exception& e) {
      // A bug or a registry that cannot be read: nothing was queued.
      logError("push-failed", {{"error", e.what()}});
      if (!push->key.empty()) push->in_flight->end(push->key);
      push->respond(problemResponse(problems::internalError(), push->instancePath()));
    }
  });

  addWorkerRoute(router, context, "GET", "/v1/postbus", [](const ExchangeContext& c, const ApiRequest& request) {
    boost::json::array messages;
    for (const OutboxEntry& e : c.outbox.postbus(request.caller->id, 100)) {
      if (const auto which = c.basis.withdrawn(e)) {
        // Its basis ended while it waited: never shown; its body goes with the record.
        c.basis.recordWithdrawal(e, *which, [](bool) {});
        continue;
      }
      const auto body = c.outbox.body(e.transaction_id);
      if (!body) continue;  // acknowledged meanwhile
      boost::system::error_code ec;
      boost::json::value message = boost::json::parse(*body, ec);
      if (ec) message = boost::json::string(*body);
      messages.emplace_back(boost::json::object{
          {"transactie_id", e.transaction_id}, {"flow", e.flow}, {"doelbinding", e.purpose},
          {"grondslag", e.legal_basis}, {"afzender_oin", e.sender_oin},
          {"ontvangen", e.created_utc}, {"bericht", std::move(message)}});
    }
    return jsonResponse(200, boost::json::object{{"berichten", std::move(messages)}});
  });

  // What became of a message: its sender and its recipient may ask; to anyone else the
  // transaction does not exist.
  addWorkerRoute(router, context, "GET", "/v1/transacties/{id}",
                 [](const ExchangeContext& c, const ApiRequest& request) {
    const auto id = canonicalUuid(request.param("id"));
    if (!id) return problemResponse(problems::invalidTransactionId(), "/v1/transacties/{id}");
    const auto entry = c.outbox.find(*id);
    const std::string caller = request.caller->oin.str();
    if (!entry || (entry->sender_oin != caller && entry->recipient_oin != caller)) {
      return problemResponse(problems::notFound("no message " + *id + " of yours"), "/v1/transacties/" + *id);
    }
    boost::json::object body{{"transactie_id", entry->transaction_id},
                             {"flow", entry->flow},
                             {"status", toString(entry->state)},
                             {"ontvanger", entry->recipient_party_id},
                             {"pogingen", entry->attempts},
                             {"ontvangen", entry->created_utc}};
    if (!entry->finished_utc.empty()) body["afgerond"] = entry->finished_utc;
    // Why it was withdrawn (a reason code of ours); a transport error of the recipient's
    // endpoint is the recipient's business, not the sender's.
    if (entry->state == DeliveryState::kWithdrawn) body["reden"] = entry->last_error;
    return jsonResponse(200, body);
  });

  addWorkerRoute(router, context, "POST", "/v1/postbus/{id}/ack",
                 [](const ExchangeContext& c, const ApiRequest& request) {
    const auto id = canonicalUuid(request.param("id"));
    if (!id) return problemResponse(problems::invalidTransactionId(), "/v1/postbus/{id}/ack");
    // Only the recipient's own entry can be acknowledged; another's looks absent.
    if (!c.outbox.acknowledge(request.caller->id, *id)) {
      return problemResponse(problems::notFound("no message " + *id + " in your postbus"),
                             "/v1/postbus/" + *id + "/ack");
    }
    logInfo("postbus-acknowledged", {{"transaction", *id}});
    return ApiResponse{204, "application/json", {}, {}};
  });
}

}  // namespace ketenpoort
