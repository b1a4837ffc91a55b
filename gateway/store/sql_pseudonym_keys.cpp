#include "gateway/store/sql_pseudonym_keys.hpp"

namespace ketenpoort {

std::vector<StoredPseudonymKey> SqlPseudonymKeys::load() {
  const sql::Rows r = connect_()->run(
      "SELECT period, wrapped, created_utc, COALESCE(destroyed_utc, '') FROM pseudonym_keys ORDER BY period");
  std::vector<StoredPseudonymKey> keys;
  keys.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    keys.push_back({static_cast<int>(r.integer(i, 0)), std::string(r.text(i, 1)), std::string(r.text(i, 2)),
                    std::string(r.text(i, 3))});
  }
  return keys;
}

void SqlPseudonymKeys::addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) {
  connect_()->run(
      "INSERT INTO pseudonym_keys (period, wrapped, created_utc) VALUES ($1, $2, $3) "
      "ON CONFLICT (period) DO NOTHING",
      {std::int64_t{period}, std::string_view(wrapped), std::string_view(now_utc)});
}

std::vector<int> SqlPseudonymKeys::destroyBefore(int before_period, const std::string& now_utc) {
  const std::unique_ptr<sql::Session> session = connect_();
  const sql::Rows r = sql::inTransaction(*session, session->beginWrite(), [&] {
    return session->run(
        "UPDATE pseudonym_keys SET wrapped = '', destroyed_utc = $1 "
        "WHERE period < $2 AND destroyed_utc IS NULL RETURNING period",
        {std::string_view(now_utc), std::int64_t{before_period}});
  });
  std::vector<int> destroyed;
  destroyed.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) destroyed.push_back(static_cast<int>(r.integer(i, 0)));
  if (!destroyed.empty()) session->eraseRemovedBytes("pseudonym_keys");
  return destroyed;
}

}  // namespace ketenpoort
