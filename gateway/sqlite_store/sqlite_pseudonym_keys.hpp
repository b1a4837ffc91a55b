#pragma once

#include <filesystem>

#include "gateway/store/pseudonym_keys.hpp"

namespace ketenpoort {

// The pseudonym keys in the SQLite store's database file (table pseudonym_keys), read and
// written on a connection of their own: rarely (a start, a new year, a purge).
class SqlitePseudonymKeys : public PseudonymKeyStore {
 public:
  // Creates the table when the database has none.
  explicit SqlitePseudonymKeys(std::filesystem::path database);

  std::vector<StoredPseudonymKey> load() override;
  void addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) override;
  // With secure_delete, and the WAL truncated after it when the writer lets it (never
  // waiting for it), so the wrapped key's bytes are overwritten in the file rather than
  // left in a free page.
  std::vector<int> destroyBefore(int before_period, const std::string& now_utc) override;

 private:
  std::filesystem::path database_;
};

}  // namespace ketenpoort
