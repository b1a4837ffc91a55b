#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "gateway/calendar/time_source.hpp"
#include "gateway/store/exchange_query.hpp"
#include "gateway/store/exchange_record.hpp"
#include "gateway/store/log_purge.hpp"
#include "gateway/store/pseudonym_keys.hpp"
#include "gateway/store/sql_session.hpp"
#include "gateway/store/store_transaction.hpp"

namespace ketenpoort {

struct AppendResult {
  bool ok = false;
  std::uint64_t sequence = 0;
  std::string error;  // when !ok: why the record is not durable, for people
  // When its change declined the record (ChangeVerdict): the reason, a value to decide on.
  std::optional<Reason> declined;

  static AppendResult written(std::uint64_t sequence) { return {true, sequence, {}, std::nullopt}; }
  static AppendResult failed(std::string error) { return {false, 0, std::move(error), std::nullopt}; }
  static AppendResult declinedFor(Reason reason) { return {false, 0, std::string(reasonName(reason)), reason}; }
};

// Work that must happen if and only if its log record is written: a registry change, an
// outbox entry. The store runs it in the record's transaction. Its verdict declines the
// record for a reason (a transaction id logged already, a herkoppeling dated too early);
// throwing refuses it for an error. Either way it refuses this record only: nothing of the
// change stays, the record is not written.
// A change that returns nothing always applies (or throws).
class StoreChange {
 public:
  StoreChange() = default;
  template <class Change>
  requires(!std::same_as<std::remove_cvref_t<Change>, StoreChange> && std::invocable<Change&, StoreTransaction&>)
      StoreChange(Change change) {  // NOLINT(google-explicit-constructor): a lambda is a change
    if constexpr (std::is_void_v<std::invoke_result_t<Change&, StoreTransaction&>>) {
      run_ = [change = std::move(change)](StoreTransaction& tx) mutable {
        change(tx);
        return kApplied;
      };
    } else {
      run_ = std::move(change);
    }
  }
  explicit operator bool() const { return static_cast<bool>(run_); }
  ChangeVerdict operator()(StoreTransaction& tx) const { return run_(tx); }

 private:
  std::function<ChangeVerdict(StoreTransaction&)> run_;
};

// The append-only, hash-chained exchange log, whatever keeps it. The contract every
// implementation keeps:
//  - a record is reported durable only once it survives a crash, and only then may
//    anything it describes leave the gateway;
//  - records form one chain (sequence, previous hash, record hash) with signed
//    checkpoints chained to each other and a head signed with every commit, so
//    `log verify` finds any change, deletion, insertion or reordering, and a cut tail;
//  - fail-closed: when a write fails, every record of it is reported not durable and
//    healthy() is false until a later write succeeds;
//  - appends never block the caller on the disk: `done` is called from the store's own
//    thread and must be quick (post the result to where it is needed).
// The embedded implementation is SqliteExchangeLog (gateway/sqlite_store).
class ExchangeLog {
 public:
  using Callback = std::function<void(const AppendResult&)>;

  virtual ~ExchangeLog() = default;

  // Queues a record together with a change (which may be empty).
  virtual void append(ExchangeRecord record, StoreChange change, Callback done) = 0;

  // Writes to the store's database that are not exchanges and get no record (the outbox's
  // delivery bookkeeping, a purge window): run by the one writer in its next transaction,
  // so they share its group commit and never contend with it for a lock. `done` gets ok
  // (sequence 0) once durable, or the error; a throwing write is rolled back alone.
  // kDeferred: the write may be reported before it is synced; it becomes durable with the
  // next synced commit (a group of only deferred writes commits without a sync of its
  // own). For bookkeeping whose loss on a power cut is safe (ADR 0011); a process crash
  // loses nothing that was reported.
  using DatabaseWrite = std::function<void(sql::Session&)>;
  enum class Sync { kDurable, kDeferred };
  virtual void write(DatabaseWrite write, Callback done, Sync sync = Sync::kDurable) = 0;
  void append(ExchangeRecord record, Callback done);
  // For tools, tests and the registries' rare changes: append and wait for the outcome.
  AppendResult appendAndWait(ExchangeRecord record, StoreChange change = {});

  virtual bool healthy() const = 0;
  // The time that stamps the chain: what writes a record of its own (an audit query's, a
  // registry change's) stamps it with this, so one source stamps the whole chain.
  virtual const TimeSource& timeSource() const = 0;
  virtual std::uint64_t lastSequence() const = 0;
  // Verifies the checkpoints' signatures; what an auditor needs beside the records.
  virtual const std::string& publicKeyPem() const = 0;

  // Reads what a privacy officer asks for, in sequence order. Throws std::runtime_error
  // when the log cannot be read.
  virtual std::vector<LoggedExchange> findExchanges(const ExchangeQuery& query) const = 0;
  // The first record of a transaction id, whoever sent it (the idempotency check of a
  // re-sent push: the id belongs to its first sender and request).
  virtual std::optional<LoggedExchange> findTransaction(const std::string& transaction_id) const = 0;

  // Removes the records of one window whose retention ended before `request.as_of`, with
  // the signed purge record that covers them, as one write among the writer's group
  // commits (so pushes wait for at most one window). Never the last record. Refused, and
  // nothing removed, when a record of the window does not verify. Waits for the outcome.
  virtual PurgeBatchResult purgeBatch(const PurgeBatchRequest& request) = 0;

  // From here on every record's subject reference is filed under its period's key, and a
  // person is looked up under every live key (ADR 0020). The keyring outlives the log.
  // Without one (tools, tests of the chain) references are kept as given.
  void usePseudonymKeys(PseudonymKeyring* keyring) { pseudonyms_ = keyring; }

 protected:
  // For append: gives a record without a valid retention the longest any record may have
  // (kRegistryHistoryRetention from its day: every record has a retention and a year key,
  // issue 25), then puts the record's subject reference under its period's key. When the
  // period's key cannot be made the record is refused (`done` told, false returned), as
  // any write that fails.
  bool fileUnderPeriod(ExchangeRecord& record, const Callback& done, const TimeSource& clock) const;
  // For findExchanges: every reference the records of the person `subject_ref` names
  // may carry.
  std::vector<std::string> referencesOf(const std::string& subject_ref) const;

  // For purgeBatch: hands the store's writer the window's write (`submit` passes it the
  // callback) and waits; the outcome is what the write left in `planned`, or the error
  // that refused it (nothing removed, the window starts again at `after`).
  static PurgeBatchResult awaitPurgeWrite(const std::function<void(Callback)>& submit,
                                          const std::shared_ptr<PurgeBatchResult>& planned, std::uint64_t after);

 private:
  PseudonymKeyring* pseudonyms_ = nullptr;
};

// Purges a whole log window by window (`request.after_sequence` is where it starts).
// Between windows it waits as long as the last one took, so the writer spends at least
// half its time on pushes while a purge runs. Returns the records removed and the first
// error, if any; a log purged halfway (an error, a crash) is resumed by purging again.
// `stopping`, asked between windows: true ends the purge there (ok, not done), so a
// gateway shutting down waits for one window, not the whole purge. The records only:
// GatewayStore::purgeExpired purges the registries' history and pseudonym keys after them.
PurgeBatchResult purgeExpired(ExchangeLog& log, PurgeBatchRequest request, const std::function<bool()>& stopping = {});

}  // namespace ketenpoort
