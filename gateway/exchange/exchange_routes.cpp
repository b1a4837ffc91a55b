#include "gateway/exchange/exchange_routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>
#include <set>
#include <utility>
#include <variant>

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
  return {{"transactie_id", transaction_id}, {"flow", flow}, {"status", "queued"}, {"ontvanger", recipient_id}};
}

// Transactions being decided right now, so that a re-sent push arriving before the first
// is logged waits its turn instead of being decided twice.
class InFlight {
 public:
  // Held while one push of `key` is decided and written; empty when another holds it.
  class Claim {
   public:
    Claim() = default;
    Claim(InFlight* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    Claim(Claim&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    Claim& operator=(Claim&&) = delete;
    ~Claim() {
      if (owner_) owner_->end(key_);
    }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    InFlight* owner_ = nullptr;
    std::string key_;
  };

  Claim claim(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (!keys_.insert(key).second) return {};
    return {this, key};
  }

 private:
  void end(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.erase(key);
  }

  std::mutex mutex_;
  std::set<std::string> keys_;
};

// What the request says about itself, read before anything is decided.
struct PushRequest : RequestHeading {
  std::string transaction_id;  // canonical (lower case)
  bool id_given = false;       // by the sender: its record must be the first of that id
  std::string request_digest;

  std::string instancePath() const { return RequestHeading::instancePath("/v1/berichten/"); }
};

Result<PushRequest> readPushRequest(const ExchangeContext& c, const ApiRequest& request) {
  PushRequest p;
  static_cast<RequestHeading&>(p) = readHeading(c, request);
  const std::string given = requestHeader(request, "x-transaction-id");
  if (!given.empty()) {
    const auto canonical = canonicalUuid(given);
    if (!canonical) return problems::invalidTransactionId();
    p.transaction_id = *canonical;
    p.id_given = true;
  } else {
    p.transaction_id = newUuidV7();
  }
  p.request_digest =
      requestDigest(request.param("flow"), p.stated_purpose, requestHeader(request, "x-ontvanger"), request.body);
  return p;
}

// A push that is not passed on: why, and what its record says.
struct Refusal {
  Refusal(Reason why, std::string for_people, std::string recipient = {}, std::string basis = {},
          std::string subject = {})
      : reason(why),
        detail(std::move(for_people)),
        recipient_oin(std::move(recipient)),
        legal_basis(std::move(basis)),
        subject_ref(std::move(subject)) {}
  Reason reason;
  std::string detail;
  std::string recipient_oin;
  std::string legal_basis;
  std::string subject_ref;
};

// A push allowed to pass: what it writes, and whom the sender hears it goes to.
struct Allowed {
  ExchangeWrite write;
  std::string recipient_id;
};

using PushDecision = std::variant<Refusal, Allowed>;

// The decision on a push, made where it arrived: decode, map, choose the recipient,
// ask the policy, render. Microseconds and no database: registries come from memory.
class PushDecider {
 public:
  PushDecider(const ExchangeContext& c, const ApiRequest& request, const PushRequest& push)
      : c_(c), request_(request), push_(push) {}

  PushDecision decide() const {
    const Party& sender = *request_.caller;
    const FlowDefinition* flow = push_.flow;
    if (!flow) return Refusal{Reason::kFlowNotAllowed, "the catalogue has no flow by the name in the URL"};
    if (flow->kind != FlowKind::kPush || !flow->mayBeSentBy(sender.role)) {
      return Refusal{Reason::kFlowNotAllowed, "party " + sender.id + " may not push flow " + flow->id};
    }
    const auto inbound = c_.adapters.inbound_by_flow.find(flow->id);
    if (inbound == c_.adapters.inbound_by_flow.end()) {
      return Refusal{Reason::kFlowNotAllowed, "the gateway has no adapter that receives " + flow->id};
    }
    auto decoded = inbound->second->decode(*flow, request_.body);
    if (auto* error = std::get_if<std::string>(&decoded)) return Refusal{Reason::kInvalidMessage, *error};
    const MappingOutcome mapped = mapSourceDocument(*flow, std::get<SourceNode>(decoded));
    if (!mapped.ok()) {
      std::string detail = mapped.errors.front();
      for (std::size_t i = 1; i < mapped.errors.size() && i < 5; ++i) detail += "; " + mapped.errors[i];
      return Refusal{Reason::kInvalidMessage, std::move(detail)};
    }
    const auto recipient = chooseRecipient(*flow, mapped);
    if (!recipient.ok()) return Refusal{recipient.problem().code, recipient.problem().detail};
    return decideFor(*flow, mapped, **recipient);
  }

  // The record of this push, to `recipient_oin` ("" when none was chosen).
  ExchangeRecord record(const std::string& recipient_oin) const {
    ExchangeRecord r = exchangeRecord(c_.clock, push_.transaction_id, push_.trace_id, push_.flow_id,
                                      request_.caller->oin.str(), recipient_oin, push_.purpose);
    r.request_sha256 = push_.request_digest;
    r.foreign_span_id = push_.foreign_span_id;
    return r;
  }

 private:
  // The recipient: the one the sender names in X-Ontvanger, else the gemeente the record
  // is about (its koppeling). The policy engine then checks the koppeling either way.
  Result<const Party*> chooseRecipient(const FlowDefinition& flow, const MappingOutcome& mapped) const {
    const auto noKoppeling = [](std::string detail) {
      return problems::refused(Reason::kNoKoppeling, std::move(detail));
    };
    const std::string named = requestHeader(request_, "x-ontvanger");
    if (!named.empty()) {
      const auto oin = Oin::parse(named);
      const Party* party = oin ? c_.config.findPartyByOin(*oin) : c_.config.findPartyById(named);
      if (!party) return noKoppeling("X-Ontvanger names no known party");
      return party;
    }
    if (flow.koppeling_field) {
      if (const CanonicalValue* v = mapped.record.first(flow.koppeling_field)) {
        for (const Party& p : c_.config.parties) {
          if (p.role == PartyRole::kGemeente && p.cbs_code == v->value) return &p;
        }
        return noKoppeling("the gemeente the message names is not connected to this gateway");
      }
    }
    if (flow.koppeling_required) {
      // The registry knows where the person is gekoppeld; the sender need not.
      if (const auto subject = subjectOf(flow, mapped.record)) {
        const auto cbs = c_.registries.gemeenteOf(*subject, c_.clock.today());
        for (const Party& p : c_.config.parties) {
          if (cbs && p.role == PartyRole::kGemeente && p.cbs_code == *cbs) return &p;
        }
      }
      return noKoppeling(
          "the person is not gekoppeld to any gemeente connected to this gateway; "
          "name the recipient in X-Ontvanger");
    }
    return noKoppeling("the message does not say which gemeente the person is gekoppeld to");
  }

  PushDecision decideFor(const FlowDefinition& flow, const MappingOutcome& mapped, const Party& recipient) const {
    const CivilDate today = c_.clock.today();
    const PolicyDecision decision =
        c_.policy.decide({*request_.caller, flow, push_.stated_purpose, mapped, recipient, today});
    if (!decision.allowed) {
      // The person's access report shows refused exchanges about them too.
      return Refusal{decision.reason, decision.detail, recipient.oin.str(), flow.basis_article,
                     decision.subject ? c_.referencer.reference(*decision.subject) : std::string()};
    }
    const OutboundFormat* outbound = outboundFormatFor(c_.adapters, recipient, flow.id);
    if (outbound == nullptr) {
      return Refusal{Reason::kFlowNotAllowed, "the gateway has no adapter that delivers to " + recipient.id,
                     recipient.oin.str(), flow.basis_article};
    }
    ExchangeRecord r = record(recipient.oin.str());
    r.delivered_into = outbound->deliveredInto(push_.transaction_id);
    std::string body = outbound->render({flow, push_.transaction_id, flow.basis_article, decision.delivered,
                                         &decision.fields, request_.caller, r.time_utc, &decision.subject});
    recordDecision(r, flow, decision, c_.referencer, body);
    return Allowed{queuedWrite(c_, std::move(r), recipient, registryChanges(flow, mapped, decision, today),
                               std::move(body), push_.id_given),
                   recipient.id};
  }

  // What the registries learn from an allowed push, written with its record.
  std::vector<StoreChange> registryChanges(const FlowDefinition& flow, const MappingOutcome& mapped,
                                           const PolicyDecision& decision, const CivilDate& today) const {
    std::vector<StoreChange> changes;
    if (flow.koppeling_field && decision.subject) {
      // The profile teaches the koppeling; learnt once, not again with every update.
      const CanonicalValue* gemeente = mapped.record.first(flow.koppeling_field);
      if (gemeente && decision.registered_koppeling != gemeente->value) {
        CivilDate from = today;
        if (const CanonicalValue* date = mapped.record.first(flow.koppeling_date_field)) {
          from = parseIsoDate(date->value).value_or(today);
        }
        changes.push_back(c_.registries.koppelingChange(*decision.subject, gemeente->value, std::min(from, today),
                                                        push_.transaction_id));
      }
    }
    if (decision.moved_koppeling && decision.subject) {
      // A herkoppeling: the new koppeling holds from its day; the one in force ends there.
      changes.push_back(c_.registries.koppelingChange(*decision.subject, decision.moved_koppeling->gemeente_cbs_code,
                                                      decision.moved_koppeling->valid_from, push_.transaction_id));
    }
    if (decision.identity_link) {
      changes.push_back(c_.registries.identityLinkChange(decision.identity_link->first, decision.identity_link->second,
                                                         push_.transaction_id));
    }
    return changes;
  }

  const ExchangeContext& c_;
  const ApiRequest& request_;
  const PushRequest& push_;
};

// A push, from its request to its answer: decided on the connection's strand, written by
// the log's writer (the one hand-off), answered 202 once record, outbox entry and body are
// durable. A re-sent transaction id is answered with its first result and never queued
// twice; a conflicting one is refused without touching the first exchange.
RequestTask push(std::shared_ptr<const ExchangeContext> context, std::shared_ptr<InFlight> in_flight,
                 ApiRequest request) {
  const ExchangeContext& c = *context;
  const auto read = readPushRequest(c, request);
  if (!read.ok()) co_return problemResponse(read.problem(), "/v1/berichten/{flow}");
  const PushRequest& p = *read;
  const auto claim = in_flight->claim(p.transaction_id);
  if (!claim) co_return problemResponse(problems::transactionInProgress(), p.instancePath());

  const PushDecider decider(c, request, p);
  PushDecision decision = decider.decide();
  for (;;) {
    Refusal* refusal = std::get_if<Refusal>(&decision);
    ExchangeWrite write;
    if (refusal) {
      ExchangeRecord r = decider.record(refusal->recipient_oin);
      r.legal_basis = refusal->legal_basis;
      r.subject_ref = refusal->subject_ref;
      // A conflict's record is never the first of its id: the id is someone else's.
      const bool first = p.id_given && refusal->reason != Reason::kTransactionConflict;
      write = notDoneWrite(c, std::move(r), ExchangeOutcome::kRefused, refusal->reason, first);
    } else {
      write = std::move(std::get<Allowed>(decision).write);
    }
    const Written outcome = co_await written(c, std::move(write));
    if (outcome == Written::kNotDurable) co_return problemResponse(problems::logUnavailable(), p.instancePath());
    if (outcome == Written::kDurable) {
      if (refusal) co_return problemResponse(problems::refused(refusal->reason, refusal->detail), p.instancePath());
      co_return jsonResponse(202, acceptedBody(p.transaction_id, p.flow_id, std::get<Allowed>(decision).recipient_id));
    }

    // The id was logged before. Reading its first exchange waits for the database.
    co_await ResumeOn(c.run_blocking);
    const auto first = c.log.findTransaction(p.transaction_id);
    if (!first) throw std::runtime_error("the writer found the transaction, the reader did not");
    const ExchangeRecord& r = first->record;
    if (r.sender_oin == request.caller->oin.str() && r.request_sha256 == p.request_digest) {
      // The same sender with the same request hears the first answer again.
      logInfo("exchange-replayed", {{"flow", r.flow}, {"transaction", p.transaction_id}});
      if (r.outcome == ExchangeOutcome::kQueued || r.outcome == ExchangeOutcome::kDelivered) {
        co_return jsonResponse(202, acceptedBody(p.transaction_id, r.flow, partyIdOf(c.config, r.recipient_oin)));
      }
      co_return problemResponse(problems::refused(reasonNamed(r.reason).value_or(Reason::kInternalError),
                                                  "this transaction was refused when first sent"),
                                p.instancePath());
    }
    decision = Refusal{Reason::kTransactionConflict,
                       r.sender_oin != request.caller->oin.str()
                           ? "this transaction id is in use by another exchange; use a new one"
                           : "this transaction id was sent before with another request; use a new one"};
  }
}

// A route that reads the store: answered on a worker, never on a network thread. A store
// that cannot be read is a logged 500 (the request model's), never a lost connection.
template <class Handle>
RequestTask onWorker(std::shared_ptr<const ExchangeContext> context, ApiRequest request, Handle handle) {
  co_await ResumeOn(context->run_blocking);
  co_return handle(*context, request);
}

template <class Handle>
void addWorkerRoute(Router& router, const std::shared_ptr<const ExchangeContext>& context, const char* method,
                    const std::string& route, Handle handle) {
  router.addAsync(method, route, [context, handle](ApiRequest request, Router::Respond respond) {
    onWorker(context, std::move(request), handle).start(std::move(respond));
  });
}

}  // namespace

void addExchangeRoutes(Router& router, const ExchangeContext& context) {
  auto in_flight = std::make_shared<InFlight>();
  auto shared_context = std::make_shared<const ExchangeContext>(context);
  router.addAsync("POST", "/v1/berichten/{flow}",
                  [shared_context, in_flight](ApiRequest request, Router::Respond respond) {
                    push(shared_context, in_flight, std::move(request)).start(std::move(respond));
                  });

  addWorkerRoute(router, shared_context, "GET", "/v1/postbus", [](const ExchangeContext& c, const ApiRequest& request) {
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
      messages.emplace_back(boost::json::object{{"transactie_id", e.transaction_id},
                                                {"flow", e.flow},
                                                {"doelbinding", e.purpose},
                                                {"grondslag", e.legal_basis},
                                                {"afzender_oin", e.sender_oin},
                                                {"ontvangen", e.created_utc},
                                                {"bericht", std::move(message)}});
    }
    return jsonResponse(200, boost::json::object{{"berichten", std::move(messages)}});
  });

  // What became of a message: its sender and its recipient may ask; to anyone else the
  // transaction does not exist.
  addWorkerRoute(
      router, shared_context, "GET", "/v1/transacties/{id}", [](const ExchangeContext& c, const ApiRequest& request) {
        const auto id = canonicalUuid(request.param("id"));
        if (!id) return problemResponse(problems::invalidTransactionId(), "/v1/transacties/{id}");
        const auto entry = c.outbox.find(*id);
        const std::string caller = request.caller->oin.str();
        if (!entry || (entry->sender_oin != caller && entry->recipient_oin != caller)) {
          return problemResponse(problems::notFound("no message " + *id + " of yours"), "/v1/transacties/" + *id);
        }
        boost::json::object body{
            {"transactie_id", entry->transaction_id}, {"flow", entry->flow},         {"status", toString(entry->state)},
            {"ontvanger", entry->recipient_party_id}, {"pogingen", entry->attempts}, {"ontvangen", entry->created_utc}};
        if (!entry->finished_utc.empty()) body["afgerond"] = entry->finished_utc;
        // Why it was withdrawn (a reason code of ours); a transport error of the recipient's
        // endpoint is the recipient's business, not the sender's.
        if (entry->state == DeliveryState::kWithdrawn) body["reden"] = entry->last_error;
        return jsonResponse(200, body);
      });

  addWorkerRoute(router, shared_context, "POST", "/v1/postbus/{id}/ack",
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
