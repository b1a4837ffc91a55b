#include "gateway/audit/ldv_export.hpp"

#include <algorithm>
#include <set>

#include <boost/json/array.hpp>

#include "gateway/store/identifiers.hpp"

namespace ketenpoort {

namespace {

// The stable id of a flow's processing activity: the same on every gateway and run.
std::string activityId(std::string_view flow) {
  return uuidFromName("ketenpoort-processing-activity:" + std::string(flow));
}

boost::json::array strings(const std::vector<std::string>& values) {
  boost::json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

// The gateway's own records: not a flow of the catalogue, processing all the same.
ProcessingActivity ownActivity(std::string_view flow, const char* purpose, const char* description, const char* basis,
                               std::string_view retention) {
  ProcessingActivity a;
  a.id = activityId(flow);
  a.flow = std::string(flow);
  a.purpose = purpose;
  a.purpose_description = description;
  a.legal_basis = basis;
  a.categories = {"pseudoniem"};
  a.retention = retention;
  a.recipients = {std::string(toString(PartyRole::kPrivacyOfficer))};
  return a;
}

}  // namespace

std::vector<ProcessingActivity> processingActivities(const MappingCatalogue& catalogue) {
  std::vector<ProcessingActivity> out;
  for (const auto& flow : catalogue.flows) {
    ProcessingActivity a;
    a.id = activityId(flow->id);
    a.flow = flow->id;
    a.purpose = flow->purpose_id;
    a.purpose_description = flow->purpose_description;
    a.legal_basis = std::string(toString(flow->basis_kind)) + ": " + flow->basis_article;
    std::set<std::string> categories;
    for (const auto& rule : flow->recipients) {
      a.recipients.emplace_back(toString(rule.role));
      for (const auto& allowed : rule.allowed) categories.insert(allowed.field->category);
    }
    a.categories.assign(categories.begin(), categories.end());
    for (const auto role : flow->sender_roles) a.senders.emplace_back(toString(role));
    a.retention = flow->retention_text;
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.flow < y.flow; });
  out.push_back(ownActivity(internal_flows::kAuditQuery, "verantwoording",
                            "the privacy officer's queries of the log (who looked at what)",
                            "wettelijke-verplichting: AVG art. 5 lid 2, 15 en 30", "P5Y"));
  for (const auto flow : {internal_flows::kConsent, internal_flows::kAgreement, internal_flows::kKoppeling}) {
    out.push_back(ownActivity(flow, "registers", "changes to the consent, agreement and koppeling registers",
                              "wettelijke-taak: Wet inburgering 2021", kRegistryHistoryRetentionText));
  }
  out.push_back(ownActivity(internal_flows::kRegistryHistory, "bewaartermijn",
                            "removing koppelingen and consents that ended longer ago than the registers keep them",
                            "wettelijke-verplichting: AVG art. 5 lid 1 sub e", kRegistryHistoryRetentionText));
  out.push_back(ownActivity(internal_flows::kPurge, "bewaartermijn",
                            "removing the log's records, and the keys of their pseudonyms, after their retention",
                            "wettelijke-verplichting: AVG art. 5 lid 1 sub e", kRegistryHistoryRetentionText));
  return out;
}

boost::json::object activityJson(const ProcessingActivity& a) {
  return {{"id", a.id},
          {"flow", a.flow},
          {"purpose", a.purpose},
          {"purpose_description", a.purpose_description},
          {"legal_basis", a.legal_basis},
          {"categories", strings(a.categories)},
          {"retention", a.retention},
          {"senders", strings(a.senders)},
          {"recipients", strings(a.recipients)}};
}

std::optional<boost::json::object> ldvRecord(const LoggedExchange& exchange,
                                             const std::vector<ProcessingActivity>& activities) {
  const ExchangeRecord& r = exchange.record;
  if (r.subject_ref.empty()) return std::nullopt;
  const auto activity = std::find_if(activities.begin(), activities.end(),
                                     [&r](const ProcessingActivity& a) { return a.flow == r.flow; });
  // The span of this exchange: derived from its transaction and place in the log, so an
  // export made twice names it the same.
  const std::string span_id =
      sha256Hex("ketenpoort-span:" + r.transaction_id + ":" + std::to_string(exchange.sequence)).substr(0, 16);
  const bool ok = r.outcome == ExchangeOutcome::kDelivered || r.outcome == ExchangeOutcome::kQueued;
  boost::json::object attributes{
      {"dpl.core.processing_activity_id", activity != activities.end() ? activity->id : activityId(r.flow)},
      {"dpl.core.data_subject_id", r.subject_ref},
      {"dpl.core.data_subject_id_type", "ketenpoort-subject-ref"},
      {"ketenpoort.transaction_id", r.transaction_id},
      {"ketenpoort.log_sequence", exchange.sequence},
      {"ketenpoort.flow", r.flow},
      {"ketenpoort.purpose", r.purpose},
      {"ketenpoort.legal_basis", r.legal_basis},
      {"ketenpoort.sender_oin", r.sender_oin},
      {"ketenpoort.recipient_oin", r.recipient_oin},
      {"ketenpoort.outcome", toString(r.outcome)}};
  if (!r.reason.empty()) attributes["ketenpoort.reason"] = r.reason;
  if (!r.foreign_span_id.empty()) {
    // The sender's operation that asked for this one (its W3C traceparent).
    attributes["dpl.core.foreign_operation.span_id"] = r.foreign_span_id;
    attributes["dpl.core.foreign_operation.trace_id"] = r.trace_id;
    attributes["dpl.core.foreign_operation.processor"] = r.sender_oin;
  }
  boost::json::object record{{"trace_id", r.trace_id},
                             {"span_id", span_id},
                             {"parent_span_id", r.foreign_span_id.empty() ? boost::json::value(nullptr)
                                                                          : boost::json::value(r.foreign_span_id)},
                             {"name", r.flow},
                             {"start_time", r.time_utc},
                             {"end_time", r.time_utc},
                             {"status_code", ok ? "OK" : "ERROR"},
                             {"resource", boost::json::object{{"service.name", "ketenpoort"}}},
                             {"attributes", std::move(attributes)}};
  return record;
}

}  // namespace ketenpoort
