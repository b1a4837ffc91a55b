#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/calendar/time_source.hpp"
#include "gateway/store/subject_reference.hpp"

namespace ketenpoort {

// One period's pseudonym key as the database keeps it: wrapped (AES-256-GCM) under a key
// derived from the subject key, so a copied database alone holds no usable key, and
// every node holding the subject key reads the same keys. A destroyed key keeps its row,
// without the key, so no node makes a new key for that period.
struct StoredPseudonymKey {
  int period = 0;       // the year the retention of its records ends
  std::string wrapped;  // hex: nonce, ciphertext, tag; "" once destroyed
  std::string created_utc;
  std::string destroyed_utc;  // "" while it lives
};

// Where the keys are kept: in the store's database (SQLite, PostgreSQL), beside the log.
class PseudonymKeyStore {
 public:
  virtual ~PseudonymKeyStore() = default;
  virtual std::vector<StoredPseudonymKey> load() = 0;
  // Adds the key unless the period has a row already (a live key, or a destroyed one):
  // two nodes making the same period's key at once both end up with the first.
  virtual void addIfAbsent(int period, const std::string& wrapped, const std::string& now_utc) = 0;
  // Destroys the key of every period before `before_period` (the wrapped key overwritten,
  // not only unlinked); returns the periods destroyed by this call.
  virtual std::vector<int> destroyBefore(int before_period, const std::string& now_utc) = 0;
};

// The keys that make the log's subject references expire (ADR 0020). A record's subject
// is the registry's reference (HMAC of the BSN under the subject key) keyed once more
// under the key of the year its retention ends:
//   record reference = HMAC(period key, subject reference).
// When that year is over no record of the period is within retention, and the purge
// destroys the period's key: what is left of the period cannot be linked to a BSN by
// anyone, the gateway included. A person's records are found by computing their
// reference under every live key.
class PseudonymKeyring {
 public:
  // Other processes (a CLI purge, another node) may destroy keys: filing a record and
  // looking a person up read the rows again when they are older than this, so a key
  // another process destroyed is out of use here within seconds (issue 25).
  static constexpr std::chrono::milliseconds kReloadAfter{2000};

  PseudonymKeyring(const SubjectReferencer& subject_key, PseudonymKeyStore& store,
                   std::chrono::milliseconds reload_after = kReloadAfter, const TimeSource& clock = systemTime());
  ~PseudonymKeyring();
  PseudonymKeyring(const PseudonymKeyring&) = delete;
  PseudonymKeyring& operator=(const PseudonymKeyring&) = delete;

  // Reads the stored keys and makes the keys of `today`'s year and the `ahead` years
  // after it, so writing a record rarely has to make one. Throws when the store fails or
  // a stored key does not unwrap (another subject key).
  void prepare(const CivilDate& today, int ahead = kYearsAhead);

  // The reference a log record keeps for `subject_ref`: under the key of the year its
  // retention ends (`retention_until`, YYYY-MM-DD), never of a year before the record
  // was made (`record_date`). A record without a valid retention date keeps the subject
  // reference itself; the log gives every record it appends one (issue 25), so that is
  // left for callers outside the log and the tests. Makes the period's key when it has none; throws when it cannot.
  std::string recordReference(const std::string& subject_ref, std::string_view retention_until,
                              std::string_view record_date);
  // Every reference a person's records may carry: the subject reference itself (records
  // written before ADR 0020, records without retention) and one per live key.
  std::vector<std::string> referencesOf(const std::string& subject_ref);

  // Destroys the keys of every year before `as_of`'s: no record of those years is within
  // retention on `as_of`. Returns the periods destroyed by this call.
  std::vector<int> destroyExpired(const CivilDate& as_of);

  struct PeriodStatus {
    int period = 0;
    std::string created_utc;
    std::string destroyed_utc;  // "" while live
  };
  // For the officer: every period the store has known, oldest first.
  std::vector<PeriodStatus> periods();

  static constexpr int kYearsAhead = 8;  // the longest retention in the mappings is P7Y

 private:
  void reloadLocked();
  void addKeyLocked(int period);  // a new random key, wrapped, unless the period has one
  void reloadIfStale();
  const SubjectReferencer* liveKeyLocked(int period) const;

  const SubjectReferencer& subject_key_;
  PseudonymKeyStore& store_;
  std::chrono::milliseconds reload_after_;
  const TimeSource& clock_;
  std::string wrapping_key_;  // 32 bytes, derived from the subject key
  mutable std::shared_mutex mutex_;
  std::map<int, std::unique_ptr<const SubjectReferencer>> live_;  // by period
  std::map<int, StoredPseudonymKey> rows_;                        // without `wrapped`
  std::chrono::steady_clock::time_point loaded_at_{};
};

// Wraps and unwraps one period's key; exposed for the tests of the wrapping.
std::string wrapPseudonymKey(const std::string& wrapping_key, int period, const std::string& key);
// nullopt when `wrapped` was not made by wrapPseudonymKey with this key for this period.
std::optional<std::string> unwrapPseudonymKey(const std::string& wrapping_key, int period, std::string_view wrapped);

}  // namespace ketenpoort
