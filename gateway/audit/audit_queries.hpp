#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/store/exchange_log.hpp"

namespace ketenpoort {

// What a privacy officer asks. `organisation_oin` scopes every answer: only records in
// which that organisation is sender or recipient.
struct AuditFilter {
  std::string organisation_oin;
  std::optional<std::string> subject_ref;  // from a BSN through the keyed hash
  std::optional<std::string> from_date;    // YYYY-MM-DD, inclusive
  std::optional<std::string> to_date;      // YYYY-MM-DD, inclusive
  std::optional<std::string> flow;
  std::optional<std::string> party_oin;    // as sender or recipient
  std::optional<std::string> outcome;      // delivered, queued, refused, failed

  // The filter as the audit-query log record states it: names and values, never a BSN.
  std::vector<std::string> describe() const;
};

struct AuditedExchange {
  std::uint64_t sequence = 0;
  ExchangeRecord record;
};

std::vector<AuditedExchange> findExchanges(const std::filesystem::path& database,
                                           const AuditFilter& filter);

// Refusals counted by (flow, reason); withheld fields by (flow, field, reason), with
// repeated-group indices folded ("gezin.leden[2].x" counts as "gezin.leden[].x").
std::map<std::tuple<std::string, std::string>, std::uint64_t> countRefusals(
    const std::vector<AuditedExchange>& exchanges);
std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> countWithheld(
    const std::vector<AuditedExchange>& exchanges);

// Appends the record of an audit query; the query may be answered only if this succeeds.
AppendResult recordAuditQuery(ExchangeLog& log, const std::string& asked_by_oin,
                              const std::string& query, const AuditFilter& filter);

}  // namespace ketenpoort
