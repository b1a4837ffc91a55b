#include "gateway/pg_store/pg_pseudonym_keys.hpp"

#include "gateway/pg_store/pg_connection.hpp"

namespace ketenpoort {

std::vector<StoredPseudonymKey> PgPseudonymKeys::load() {
  pg::Connection c(dsn_);
  const pg::Result r =
      c.run("SELECT period, wrapped, created_utc, COALESCE(destroyed_utc, '') FROM pseudonym_keys ORDER BY period");
  std::vector<StoredPseudonymKey> keys;
  keys.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    keys.push_back({static_cast<int>(r.integer(i, 0)), std::string(r.text(i, 1)), std::string(r.text(i, 2)),
                    std::string(r.text(i, 3))});
  }
  return keys;
}

void PgPseudonymKeys::addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) {
  pg::Connection c(dsn_);
  c.run("INSERT INTO pseudonym_keys (period, wrapped, created_utc) VALUES ($1, $2, $3) "
        "ON CONFLICT (period) DO NOTHING",
        {std::int64_t{period}, std::string_view(wrapped), std::string_view(now_utc)});
}

std::vector<int> PgPseudonymKeys::destroyBefore(int before_period, const std::string& now_utc) {
  pg::Connection c(dsn_);
  const pg::Result r = c.run(
      "UPDATE pseudonym_keys SET wrapped = '', destroyed_utc = $2 "
      "WHERE period < $1 AND destroyed_utc IS NULL RETURNING period",
      {std::int64_t{before_period}, std::string_view(now_utc)});
  std::vector<int> destroyed;
  destroyed.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) destroyed.push_back(static_cast<int>(r.integer(i, 0)));
  if (!destroyed.empty()) c.execute("VACUUM pseudonym_keys");
  return destroyed;
}

}  // namespace ketenpoort
