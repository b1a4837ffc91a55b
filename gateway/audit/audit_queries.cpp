#include "gateway/audit/audit_queries.hpp"

#include <algorithm>

#include "gateway/api/query_string.hpp"
#include "gateway/identity/bsn.hpp"
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

std::optional<std::string> narrowSearch(const SearchScope& scope, SearchCondition condition, std::string_view word,
                                        const std::string& value, ExchangeQuery& query) {
  const std::string name(word);
  switch (condition) {
    case SearchCondition::kBsn:
      if (!isValidBsn(value) || !scope.referencer) return name + " is not a valid BSN (9 digits, elfproef)";
      query.subject_ref = scope.referencer->reference({SubjectKey::Kind::kBsn, value});
      return std::nullopt;
    case SearchCondition::kFrom:
    case SearchCondition::kTo:
      if (!parseIsoDate(value)) return name + " must be a date YYYY-MM-DD";
      (condition == SearchCondition::kFrom ? query.from_date : query.to_date) = value;
      return std::nullopt;
    case SearchCondition::kFlow:
      // The filter is recorded with the query: only a flow the gateway knows is stored.
      if (std::find(std::begin(internal_flows::kAll), std::end(internal_flows::kAll), value) ==
              std::end(internal_flows::kAll) &&
          !scope.catalogue.findFlow(value)) {
        return name + " names no flow of the catalogue";
      }
      query.flow = value;
      return std::nullopt;
    case SearchCondition::kParty: {
      const Party* party = scope.config.findPartyById(value);
      if (!party) return name + " names no configured party";
      query.party_oin = party->oin.str();
      return std::nullopt;
    }
    case SearchCondition::kOutcome:
      if (!outcomeNamed(value)) return name + " must be delivered, queued, refused or failed";
      query.outcome = value;
      return std::nullopt;
    case SearchCondition::kLimit: {
      const auto limit = parseRecordNumber(value);
      if (!limit || *limit < 1 || *limit > kMaxSearchPage) {
        return name + " must be a number from 1 to " + std::to_string(kMaxSearchPage);
      }
      query.limit = static_cast<std::size_t>(*limit);
      return std::nullopt;
    }
    case SearchCondition::kAfter:
    case SearchCondition::kBefore: {
      const auto sequence = parseRecordNumber(value);
      if (!sequence) return name + " must be the sequence number a page ended with";
      (condition == SearchCondition::kAfter ? query.after_sequence : query.before_sequence) = *sequence;
      return std::nullopt;
    }
    case SearchCondition::kTraceId:
      if (value.size() != 32 || !fromHex(value)) return name + " must be 32 lower-case hex digits";
      query.trace_id = value;
      return std::nullopt;
    case SearchCondition::kActivity:
      // An activity of the register: its flow is the filter.
      if (scope.activities) {
        for (const auto& activity : *scope.activities) {
          if (activity.id != value) continue;
          query.flow = activity.flow;
          return std::nullopt;
        }
      }
      return name + " names no processing activity";
  }
  return name + " is not a condition of this search";
}

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
