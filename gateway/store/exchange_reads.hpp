#pragma once
// What a privacy officer and a replayed push read from the exchange log, each statement
// written once for both stores (issue 26). `order` names the column that orders every
// chain's records together: SQLite's one chain orders by its sequence, PostgreSQL's nodes
// by the position the log's lock hands out.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/exchange_query.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort::exchange_reads {

// `subject_refs`: when the query names a person, every reference their records may carry
// (one per pseudonym period, ADR 0020).
std::vector<LoggedExchange> find(sql::Session& s, std::string_view order, const ExchangeQuery& query,
                                 const std::vector<std::string>& subject_refs);
// The first record of a transaction id, whoever sent it.
std::optional<LoggedExchange> firstOfTransaction(sql::Session& s, std::string_view order,
                                                 const std::string& transaction_id);

}  // namespace ketenpoort::exchange_reads
