#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/audit/ldv_export.hpp"
#include "gateway/calendar/civil_date.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

// Refusals counted by (flow, reason); withheld fields by (flow, field, reason), with
// repeated-group indices folded ("gezin.leden[2].x" counts as "gezin.leden[].x").
std::map<std::tuple<std::string, std::string>, std::uint64_t> countRefusals(
    const std::vector<LoggedExchange>& exchanges);
std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> countWithheld(
    const std::vector<LoggedExchange>& exchanges);

// What a search of the log may be narrowed by. The audit API, the console and the command
// line each have their own word for a condition; the rule for it is this one.
enum class SearchCondition { kBsn, kFrom, kTo, kFlow, kParty, kOutcome, kLimit, kAfter, kBefore, kTraceId, kActivity };
struct SearchScope {
  const GatewayConfig& config;
  const MappingCatalogue& catalogue;
  const SubjectReferencer* referencer = nullptr;                // for kBsn
  const std::vector<ProcessingActivity>* activities = nullptr;  // for kActivity
};
// A page of a search holds at most this many records (kLimit).
inline constexpr std::uint64_t kMaxSearchPage = 1000;
// Narrows `query` by `condition` = `value`; otherwise what is wrong, naming the condition
// by `word` and never echoing the value.
std::optional<std::string> narrowSearch(const SearchScope& scope, SearchCondition condition, std::string_view word,
                                        const std::string& value, ExchangeQuery& query);

// How long the access trail is kept: a query's record is purged five years after it was
// made (it may name a person by their keyed reference; ADR 0018).
inline constexpr CalendarPeriod kAuditTrailRetention{5, 0, 0};

// Appends the record of an audit query; the query may be answered only if this succeeds.
// The record names who asked, for which organisation, and the filter; never a BSN (a
// subject is recorded by its reference; `subject_ref_filed`: the reference is a record's
// own, as the log keeps it, see ExchangeRecord::subject_ref_filed).
AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const std::string& query,
                              const ExchangeQuery& filter);
AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const DeliveryQuery& filter);
AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin, const std::string& query,
                              const std::string& organisation_oin, const std::string& subject_ref,
                              std::vector<std::string> description, bool subject_ref_filed = false);

}  // namespace ketenpoort
