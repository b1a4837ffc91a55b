#pragma once

#include <functional>
#include <memory>

#include "gateway/store/pseudonym_keys.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

// The pseudonym keys in the store's database (table pseudonym_keys; ADR 0020), the same
// statements on both stores: every process and node reads the same keys, so one person's
// records carry one reference per period whichever wrote them. A session per call, from
// `connect`: keys are read and written rarely (a start, a new year, a purge).
class SqlPseudonymKeys final : public PseudonymKeyStore {
 public:
  using Connect = std::function<std::unique_ptr<sql::Session>()>;
  explicit SqlPseudonymKeys(Connect connect) : connect_(std::move(connect)) {}

  std::vector<StoredPseudonymKey> load() override;
  void addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) override;
  // The wrapped keys overwritten, and their old bytes erased from the database's files as
  // far as it lets them (sql::Session::eraseRemovedBytes).
  std::vector<int> destroyBefore(int before_period, const std::string& now_utc) override;

 private:
  Connect connect_;
};

}  // namespace ketenpoort
