#include "gateway/audit/audit_queries.hpp"

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

std::string foldIndices(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

}  // namespace

std::map<std::tuple<std::string, std::string>, std::uint64_t> countRefusals(
    const std::vector<LoggedExchange>& exchanges) {
  std::map<std::tuple<std::string, std::string>, std::uint64_t> out;
  for (const auto& e : exchanges) {
    if (e.record.outcome == ExchangeOutcome::kRefused) ++out[{e.record.flow, e.record.reason}];
  }
  return out;
}

std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> countWithheld(
    const std::vector<LoggedExchange>& exchanges) {
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> out;
  for (const auto& e : exchanges) {
    for (const auto& w : e.record.fields_withheld) {
      ++out[{e.record.flow, foldIndices(w.field), w.reason}];
    }
  }
  return out;
}

AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const std::string& query,
                              const ExchangeQuery& filter) {
  return recordAuditQuery(log, asked_by_oin, query, filter.organisation_oin, filter.subject_ref.value_or(""),
                          filter.describe());
}

AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const DeliveryQuery& filter) {
  return recordAuditQuery(log, asked_by_oin, "deliveries", filter.organisation_oin, "", filter.describe());
}

AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const std::string& query,
                              const std::string& organisation_oin, const std::string& subject_ref,
                              std::vector<std::string> description, bool subject_ref_filed) {
  ExchangeRecord r;
  r.transaction_id = newUuidV7();
  r.trace_id = newTraceId();
  r.time_utc = log.timeSource().nowRfc3339();
  r.flow = std::string(internal_flows::kAuditQuery);
  r.sender_oin = asked_by_oin;
  r.recipient_oin = organisation_oin;
  r.purpose = "audit:" + query;
  r.legal_basis = "AVG art. 5 lid 2, 15 en 30: verantwoording en inzage";
  r.subject_ref = subject_ref;
  r.subject_ref_filed = subject_ref_filed;
  r.fields_delivered = std::move(description);
  r.outcome = ExchangeOutcome::kDelivered;
  r.reason = reasonName(Reason::kAuditQuery);
  r.retention_until = formatIsoDate(addPeriod(log.timeSource().today(), kAuditTrailRetention));
  return log.appendAndWait(std::move(r));
}

}  // namespace ketenpoort
