#include "gateway/store/exchange_reads.hpp"

#include "gateway/store/record_codec.hpp"

namespace ketenpoort::exchange_reads {

namespace {

std::string selectRecord(std::string_view order) {
  std::string sql = "SELECT " + std::string(order);
  for (auto column : kHashedColumns) sql += ", " + std::string(column);
  return sql + " FROM exchange_log ";
}

std::vector<LoggedExchange> exchangesFrom(const sql::Rows& r) {
  std::vector<LoggedExchange> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  std::array<std::string_view, kHashedColumns.size()> columns;
  for (int i = 0; i < r.size(); ++i) {
    for (std::size_t c = 0; c < columns.size(); ++c) columns[c] = r.text(i, static_cast<int>(c) + 1);
    out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), recordFromColumnTexts(columns)});
  }
  return out;
}

}  // namespace

std::vector<LoggedExchange> find(sql::Session& s, std::string_view order, const ExchangeQuery& query,
                                 const std::vector<std::string>& subject_refs) {
  const ExchangeQuery& f = query;
  std::vector<sql::Value> args{std::string_view(f.organisation_oin)};
  const auto arg = [&args](sql::Value value) {
    args.push_back(value);
    return "$" + std::to_string(args.size());
  };
  const std::string by = std::string(order);
  // Numbered in the order they appear in the statement (SQLite numbers `$n` so).
  std::string person;
  if (f.subject_ref && !f.whole_log) {
    std::string keys;
    std::string refs;
    for (const std::string& ref : subject_refs) keys += (keys.empty() ? "" : ", ") + arg(subjectKey(ref));
    for (const std::string& ref : subject_refs) refs += (refs.empty() ? "" : ", ") + arg(std::string_view(ref));
    person = " AND subject_key IN (" + keys + ") AND subject_ref IN (" + refs + ")";
  }
  std::string conditions;
  if (f.from_date) conditions += " AND time_utc >= " + arg(std::string_view(*f.from_date));
  if (f.to_date) conditions += " AND time_utc < " + arg(std::string_view(*f.to_date)) + " || 'T99'";  // the whole day
  if (f.flow) conditions += " AND flow = " + arg(std::string_view(*f.flow));
  if (f.party_oin) {
    const std::string n = arg(std::string_view(*f.party_oin));
    conditions += " AND (sender_oin = " + n + " OR recipient_oin = " + n + ")";
  }
  if (f.outcome) conditions += " AND outcome = " + arg(std::string_view(*f.outcome));
  if (f.trace_id) conditions += " AND trace_id = " + arg(std::string_view(*f.trace_id));
  if (f.after_sequence) conditions += " AND " + by + " > " + arg(static_cast<std::int64_t>(*f.after_sequence));
  if (f.before_sequence) conditions += " AND " + by + " < " + arg(static_cast<std::int64_t>(*f.before_sequence));
  if (f.exchanges_only && !f.flow) conditions += " AND substr(flow, 1, 11) <> 'ketenpoort.'";
  const std::string sorted = f.newest_first ? " ORDER BY " + by + " DESC" : " ORDER BY " + by;
  const std::string limit = f.limit > 0 ? " LIMIT " + arg(static_cast<std::int64_t>(f.limit)) : "";
  const std::string select = selectRecord(order);
  std::string sql;
  if (f.whole_log) {
    // $1 stays bound (to the unused organisation) so the numbering holds.
    sql = select + "WHERE CAST($1 AS TEXT) IS NOT NULL" + conditions + sorted + limit;
  } else if (f.subject_ref) {
    sql = select + "WHERE (sender_oin = $1 OR recipient_oin = $1)" + person + conditions + sorted + limit;
  } else {
    // The organisation's records as sender and as recipient, each read in order from its
    // own index and merged: a page costs its own length, not the log's.
    sql = "SELECT * FROM (SELECT * FROM (" + select + "WHERE sender_oin = $1" + conditions + sorted + limit +
          ") AS sent UNION ALL SELECT * FROM (" + select + "WHERE recipient_oin = $1 AND sender_oin <> $1" +
          conditions + sorted + limit + ") AS received) AS page" + sorted + limit;
  }
  return exchangesFrom(s.run(sql, args));
}

std::optional<LoggedExchange> firstOfTransaction(sql::Session& s, std::string_view order,
                                                 const std::string& transaction_id) {
  const std::string by(order);
  auto found = exchangesFrom(s.run(selectRecord(order) + "WHERE transaction_id = $1 ORDER BY " + by + " LIMIT 1",
                                   {std::string_view(transaction_id)}));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

}  // namespace ketenpoort::exchange_reads
