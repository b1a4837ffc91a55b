#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/exchange_record.hpp"

namespace ketenpoort {

// What a privacy officer asks of the log. `organisation_oin` scopes every answer: only
// records in which that organisation is sender or recipient.
struct ExchangeQuery {
  std::string organisation_oin;
  // Every organisation's records, `organisation_oin` ignored: only for the controller's own
  // export on the gateway's host (`ketenpoort log export`), never for an officer's query.
  bool whole_log = false;
  std::optional<std::string> subject_ref;  // from a BSN through the keyed hash
  std::optional<std::string> from_date;    // YYYY-MM-DD, inclusive
  std::optional<std::string> to_date;      // YYYY-MM-DD, inclusive
  std::optional<std::string> flow;
  std::optional<std::string> party_oin;  // as sender or recipient
  std::optional<std::string> outcome;    // delivered, queued, refused, failed
  std::optional<std::string> trace_id;   // 32 hex: one trace
  // Leave out the gateway's own records (flows "ketenpoort.*": audit queries, registry
  // changes) unless `flow` names one.
  bool exchanges_only = false;
  // Keyset paging: records after this sequence number, at most `limit` of them (0: all).
  std::optional<std::uint64_t> after_sequence;
  // Newest first (the console's lists): records before this sequence number, in
  // descending order; the page costs its own length from the end of the log.
  bool newest_first = false;
  std::optional<std::uint64_t> before_sequence;
  std::size_t limit = 0;

  // The query as the audit-query log record states it: names and values, never a BSN.
  std::vector<std::string> describe() const;
};

struct LoggedExchange {
  std::uint64_t sequence = 0;
  ExchangeRecord record;
};

// The outcome a record names (delivered, queued, refused, failed), or nothing.
std::optional<ExchangeOutcome> outcomeNamed(std::string_view text);

}  // namespace ketenpoort
