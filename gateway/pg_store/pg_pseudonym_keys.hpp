#pragma once

#include <string>

#include "gateway/store/pseudonym_keys.hpp"

namespace ketenpoort {

// The pseudonym keys in the shared PostgreSQL database (schema version 4): every node
// reads the same keys, so one person's records carry one reference per period whichever
// node wrote them. A connection per call: keys are read and written rarely.
class PgPseudonymKeys : public PseudonymKeyStore {
 public:
  explicit PgPseudonymKeys(std::string dsn) : dsn_(std::move(dsn)) {}

  std::vector<StoredPseudonymKey> load() override;
  void addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) override;
  // Followed by VACUUM of the table, so the old row versions' space is reused.
  std::vector<int> destroyBefore(int before_period, const std::string& now_utc) override;

 private:
  std::string dsn_;
};

}  // namespace ketenpoort
