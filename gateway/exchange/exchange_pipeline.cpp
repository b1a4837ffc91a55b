#include "gateway/exchange/exchange_pipeline.hpp"

#include <boost/json/serialize.hpp>

#include <memory>

#include "gateway/diagnostics/diagnostic_log.hpp"
#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

ExchangeRecord exchangeRecord(const TimeSource& clock, const std::string& transaction_id, const std::string& trace_id,
                              const std::string& flow, const std::string& sender_oin, const std::string& recipient_oin,
                              const std::string& purpose) {
  ExchangeRecord r;
  r.transaction_id = transaction_id;
  r.trace_id = trace_id;
  r.time_utc = clock.nowRfc3339();
  r.flow = flow;
  r.sender_oin = sender_oin;
  r.recipient_oin = recipient_oin;
  r.purpose = purpose;
  return r;
}

void recordDecision(ExchangeRecord& r, const FlowDefinition& flow, const PolicyDecision& decision,
                    const SubjectReferencer& referencer, const std::string& body) {
  r.legal_basis = flow.basis_article;
  r.consent_id = decision.consent_id.value_or("");
  r.agreement_id = decision.agreement_id.value_or("");
  if (decision.subject) r.subject_ref = referencer.reference(*decision.subject);
  std::size_t unmapped = 0;
  for (const FieldDecision& f : decision.fields) {
    if (f.delivered) {
      r.fields_delivered.emplace_back(f.path);
    } else if (!f.field) {
      // Source content the mapping does not know: its names came from the sender's body,
      // so they are counted, never stored.
      ++unmapped;
    } else {
      r.fields_withheld.push_back(
          {std::string(f.path), std::string(reasonName(f.reason.value_or(Reason::kNotPermitted)))});
    }
  }
  if (unmapped > 0) {
    const std::string not_mapped(reasonName(Reason::kNotMapped));
    r.fields_withheld.push_back(
        {not_mapped + ": " + std::to_string(unmapped) + (unmapped == 1 ? " element" : " elements"), not_mapped});
  }
  r.payload_sha256 = sha256Hex(body);
  r.retention_until = formatIsoDate(decision.retention_until);
}

namespace {
// The change that makes a record the first of its transaction id.
StoreChange firstOfItsId(const std::string& transaction_id) {
  return [transaction_id](StoreTransaction& tx) -> ChangeVerdict {
    if (tx.exchangeLogged(transaction_id)) return Reason::kTransactionKnown;
    return kApplied;
  };
}
}  // namespace

ExchangeWrite notDoneWrite(const ExchangeContext& c, ExchangeRecord record, ExchangeOutcome outcome, Reason reason,
                           bool first_of_its_id) {
  record.outcome = outcome;
  if (const FlowDefinition* flow = c.catalogue.findFlow(record.flow); flow && record.retention_until.empty()) {
    record.retention_until = formatIsoDate(addPeriod(c.clock.today(), flow->retention));
  }
  record.reason = reasonName(reason);
  logInfo(outcome == ExchangeOutcome::kRefused ? "exchange-refused" : "exchange-failed",
          {{"flow", record.flow}, {"reason", record.reason}, {"transaction", record.transaction_id}});
  ExchangeWrite write{std::move(record), {}, nullptr, nullptr};
  if (first_of_its_id) write.changes.push_back(firstOfItsId(write.record.transaction_id));
  return write;
}

ExchangeWrite queuedWrite(const ExchangeContext& c, ExchangeRecord record, const Party& recipient,
                          std::vector<StoreChange> changes, std::string body, bool first_of_its_id) {
  record.outcome = ExchangeOutcome::kQueued;
  OutboxEntry entry;
  entry.transaction_id = record.transaction_id;
  entry.trace_id = record.trace_id;
  entry.flow = record.flow;
  entry.purpose = record.purpose;
  entry.legal_basis = record.legal_basis;
  entry.sender_oin = record.sender_oin;
  entry.recipient_party_id = recipient.id;
  entry.recipient_oin = record.recipient_oin;
  entry.route = deliveredToParty(recipient, record.flow) ? DeliveryRoute::kEndpoint : DeliveryRoute::kPostbus;
  entry.created_utc = record.time_utc;
  entry.next_attempt_ms = c.clock.nowMs();  // due at once (a shared store leases it from here on)
  entry.subject_ref = record.subject_ref;
  entry.consent_id = record.consent_id;
  entry.agreement_id = record.agreement_id;
  const FlowDefinition* flow = c.catalogue.findFlow(record.flow);
  if (flow && flow->koppeling_required && recipient.cbs_code) entry.koppeling_cbs = *recipient.cbs_code;
  if (first_of_its_id) changes.insert(changes.begin(), firstOfItsId(record.transaction_id));
  auto shared_entry = std::make_shared<const OutboxEntry>(std::move(entry));
  auto shared_body = std::make_shared<const std::string>(std::move(body));
  changes.emplace_back(
      [shared_entry, shared_body](StoreTransaction& tx) { tx.enqueueDelivery(*shared_entry, *shared_body); });
  return {std::move(record), std::move(changes), std::move(shared_entry), std::move(shared_body)};
}

void submitWrite(const ExchangeContext& c, ExchangeWrite write, std::function<void(Written)> done) {
  StoreChange change;
  if (write.changes.size() == 1) {
    change = std::move(write.changes.front());
  } else if (!write.changes.empty()) {
    change = [changes = std::move(write.changes)](StoreTransaction& tx) {
      for (const auto& ch : changes) {
        if (ChangeVerdict declined = ch(tx)) return declined;
      }
      return kApplied;
    };
  }
  c.log.append(std::move(write.record), std::move(change),
               [&c, delivery = std::move(write.delivery), body = std::move(write.body),
                done = std::move(done)](const AppendResult& result) mutable {
                 const Written written = result.ok                                      ? Written::kDurable
                                         : result.declined == Reason::kTransactionKnown ? Written::kTransactionKnown
                                                                                        : Written::kNotDurable;
                 auto next = [&c, delivery = std::move(delivery), body = std::move(body), done = std::move(done),
                              written] {
                   if (written == Written::kDurable && delivery) c.submit_delivery(*delivery, body);
                   done(written);
                 };
                 if (c.on_network) {
                   c.on_network(std::move(next));
                 } else {
                   next();
                 }
               });
}

void WrittenAwaiter::await_suspend(std::coroutine_handle<> handle) {
  suspendInto(handle, [this](const Resumption& resume) {
    // The callback may run before append returns (a full queue answers at once), so
    // nothing of this awaiter is touched after handing the write over.
    submitWrite(c_, std::move(write_), [this, resume](Written result) {
      result_ = result;
      resume();
    });
  });
}

std::optional<SourceRoute> sourceFor(const ExchangeContext& c, const FlowDefinition& flow) {
  const auto system = c.adapters.source_by_flow.find(flow.id);
  if (system == c.adapters.source_by_flow.end()) return std::nullopt;
  for (const Party& party : c.config.parties) {
    if (!flow.mayBeSentBy(party.role)) continue;
    std::string url = endpointFor(party, flow.id);
    if (!url.empty()) return SourceRoute{&party, std::move(url), system->second.get()};
  }
  return std::nullopt;
}

Problem sourceProblem(const SourceReply& reply) {
  switch (reply.outcome) {
    case SourceReply::Outcome::kTimeout:
      return problems::sourceTimeout("no answer within the configured timeout");
    case SourceReply::Outcome::kUnreachable:
      return problems::sourceUnreachable("the source system could not be reached");
    case SourceReply::Outcome::kNotFound:
      return problems::subjectUnknown("the source system has no record of this person");
    default:
      return problems::sourceInvalidAnswer("the source system answered " + reply.error);
  }
}

TraceContext traceContextFrom(const std::string& traceparent) {
  const auto lowerHex = [](std::string_view s) { return fromHex(s).has_value(); };
  const auto zeros = [](std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; };
  const std::string_view t = traceparent;
  if (t.size() != 55 || t.substr(0, 3) != "00-" || t[35] != '-' || t[52] != '-') return {newTraceId(), ""};
  const std::string_view trace = t.substr(3, 32);
  const std::string_view span = t.substr(36, 16);
  if (!lowerHex(trace) || !lowerHex(span) || !lowerHex(t.substr(53, 2)) || zeros(trace) || zeros(span)) {
    return {newTraceId(), ""};
  }
  return {std::string(trace), std::string(span)};
}

RequestHeading readHeading(const ExchangeContext& c, const ApiRequest& request) {
  RequestHeading h;
  h.flow = c.catalogue.findFlow(request.param("flow"));
  if (h.flow) h.flow_id = h.flow->id;
  h.stated_purpose = requestHeader(request, "x-doelbinding");
  h.purpose = knownPurpose(c.catalogue, h.stated_purpose);
  TraceContext trace = traceContextFrom(requestHeader(request, "traceparent"));
  h.trace_id = std::move(trace.trace_id);
  h.foreign_span_id = std::move(trace.foreign_span_id);
  return h;
}

std::string requestHeader(const ApiRequest& request, const std::string& name) {
  const auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

std::string knownPurpose(const MappingCatalogue& catalogue, std::string_view stated) {
  for (const auto& flow : catalogue.flows) {
    if (flow->purpose_id == stated) return flow->purpose_id;
  }
  return {};
}

std::string requestDigest(std::string_view flow, std::string_view purpose, std::string_view recipient,
                          std::string_view body) {
  std::string message;
  message.reserve(body.size() + flow.size() + purpose.size() + recipient.size() + 32);
  for (std::string_view part : {flow, purpose, recipient, body}) {
    message += std::to_string(part.size());
    message += ':';
    message += part;
  }
  return sha256Hex(message);
}

ApiResponse jsonResponse(unsigned status, const boost::json::value& body) {
  ApiResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

}  // namespace ketenpoort
