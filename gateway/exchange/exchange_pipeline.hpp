#pragma once

#include "gateway/calendar/time_source.hpp"

#include <boost/json/value.hpp>

#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/problem.hpp"
#include "gateway/api/request_task.hpp"
#include "gateway/api/router.hpp"
#include "gateway/exchange/exchange_routes.hpp"

namespace ketenpoort {

// Pieces every route of the exchange pipeline shares (push, query, derived signals), so
// each records and queues an exchange the same way.

// A record with the exchange's identity filled in; outcome and the rest are the caller's.
ExchangeRecord exchangeRecord(const TimeSource& clock, const std::string& transaction_id, const std::string& trace_id,
                              const std::string& flow, const std::string& sender_oin, const std::string& recipient_oin,
                              const std::string& purpose);

// Fills what an allowed decision says: legal basis, agreement, consent, subject reference,
// the fields delivered and withheld, the body's hash and the retention date.
void recordDecision(ExchangeRecord& record, const FlowDefinition& flow, const PolicyDecision& decision,
                    const SubjectReferencer& referencer, const std::string& body);

// What one exchange writes to the log, in one transaction of its writer: the record, the
// changes that hold if and only if it is written, and for a queued exchange its outbox
// entry and body (delivery starts once they are durable).
struct ExchangeWrite {
  ExchangeRecord record;
  std::vector<StoreChange> changes;
  // Shared with the change that writes them: one copy per exchange, not one each.
  std::shared_ptr<const OutboxEntry> delivery;
  std::shared_ptr<const std::string> body;
};

// An exchange that did not happen: refused by policy, or failed (a source system that did
// not answer). With `first_of_its_id`, written only if no exchange with its transaction id
// is logged yet (checked by the writer, in its transaction). Kept as long as the flow keeps
// its records (the person's access report shows refusals about them too); a flow the
// catalogue lacks gets the log's longest retention (ExchangeLog::fileUnderPeriod).
ExchangeWrite notDoneWrite(const ExchangeContext& c, ExchangeRecord record, ExchangeOutcome outcome, Reason reason,
                           bool first_of_its_id = false);

// An allowed exchange: its record, the outbox entry with the body and `changes`, one
// transaction (one fsync). `first_of_its_id` as for notDoneWrite.
ExchangeWrite queuedWrite(const ExchangeContext& c, ExchangeRecord record, const Party& recipient,
                          std::vector<StoreChange> changes, std::string body, bool first_of_its_id = false);

enum class Written {
  kDurable,
  kNotDurable,        // nothing of it was written (fail-closed: the caller hears 503)
  kTransactionKnown,  // a first_of_its_id write whose id was logged before: nothing written
};

// Hands the write to the log's writer. Once it is durable a queued exchange goes to
// delivery; then `done` runs: on a network thread (c.on_network, one hand-off for both),
// or on the writer's thread without one. Either way it must be quick.
void submitWrite(const ExchangeContext& c, ExchangeWrite write, std::function<void(Written)> done);

// `co_await written(c, write)` in a request coroutine: submitWrite, continuing where its
// `done` runs once the write is done.
class WrittenAwaiter {
 public:
  WrittenAwaiter(const ExchangeContext& c, ExchangeWrite&& write) : c_(c), write_(std::move(write)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle);
  Written await_resume() const noexcept { return result_; }

 private:
  const ExchangeContext& c_;
  ExchangeWrite write_;
  Written result_ = Written::kNotDurable;
};
// Takes the write by reference, from a named local: GCC 12 destroys a temporary made
// inside a co_await expression twice (found by ASan), so none is made.
inline WrittenAwaiter written(const ExchangeContext& c, ExchangeWrite&& write) { return {c, std::move(write)}; }

// The source system a query or derived flow reads from: the party of the flow's sender
// role that has an endpoint for it, and the adapter that asks it.
struct SourceRoute {
  const Party* party = nullptr;
  std::string url;
  SourceSystem* system = nullptr;
};
std::optional<SourceRoute> sourceFor(const ExchangeContext& c, const FlowDefinition& flow);

// What the asker hears when the source did not answer usably (502/504/404).
Problem sourceProblem(const SourceReply& reply);

// "00-<trace id>-<parent id>-<flags>" (W3C trace context). When it is well-formed the
// exchange continues the sender's trace and keeps the sender's span as its parent (LDV's
// foreign operation); otherwise the trace is new and there is no parent.
struct TraceContext {
  std::string trace_id;         // 32 hex
  std::string foreign_span_id;  // 16 hex, or empty
};
TraceContext traceContextFrom(const std::string& traceparent);

std::string requestHeader(const ApiRequest& request, const std::string& name);

// `stated` when it is the purpose of some flow in the catalogue, else "": a header's
// arbitrary text is never stored or echoed.
std::string knownPurpose(const MappingCatalogue& catalogue, std::string_view stated);

// What a push or a question says about itself in its URL and headers, read before
// anything is decided.
struct RequestHeading {
  const FlowDefinition* flow = nullptr;  // from the catalogue; null when the URL names none
  std::string flow_id;
  std::string trace_id;
  std::string foreign_span_id;  // the caller's span (traceparent), or ""
  std::string purpose;          // a purpose of the mappings, or "" (never the header's text)
  std::string stated_purpose;   // the header as sent: compared, never stored or echoed

  // The problem's instance: `route` with the catalogue's flow name, never the URL's text.
  std::string instancePath(const char* route) const {
    return route + (flow_id.empty() ? std::string("{flow}") : flow_id);
  }
};
RequestHeading readHeading(const ExchangeContext& c, const ApiRequest& request);

// SHA-256 (hex) over what a sender asks: the flow named in the URL, the stated purpose,
// the named recipient and the body, each length-prefixed.
std::string requestDigest(std::string_view flow, std::string_view purpose, std::string_view recipient,
                          std::string_view body);

ApiResponse jsonResponse(unsigned status, const boost::json::value& body);

}  // namespace ketenpoort
