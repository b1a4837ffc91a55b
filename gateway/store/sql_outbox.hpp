#pragma once
// The outbox over either store's database, every statement written once (issue 26). Its
// reads run on a session of its own; its state changes go through the exchange log's one
// writer (ExchangeLog::write), in its next group commit. What differs between one node and
// several is how due entries are taken (takeDue): SQLite's one node reads them, PostgreSQL's
// nodes lease them (pg_store).

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/calendar/time_source.hpp"
#include "gateway/store/exchange_log.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/store/sql_session.hpp"

namespace ketenpoort {

namespace outbox_tables {
// The entry, leased to `node_id` until its next attempt plus `lease` (no lease when zero:
// one node), and its body. Throws when an entry or a body with that transaction id exists
// already: a message is queued once, and a body is never overwritten.
void enqueue(sql::Session& s, const OutboxEntry& entry, std::string_view body, std::string_view node_id,
             std::chrono::milliseconds lease);
// The waiting entry becomes `withdrawn` and its body goes. Throws when it is not waiting.
void withdraw(sql::Session& s, const std::string& transaction_id, Reason reason, std::string_view finished_utc);
}  // namespace outbox_tables

class SqlOutboxStore : public OutboxStore {
 public:
  // `node_id`: the node whose leases this store's state changes are fenced by (a store of
  // one node has one name for itself, and its entries carry it).
  SqlOutboxStore(std::unique_ptr<sql::Session> read, ExchangeLog& writer, std::string node_id,
                 std::chrono::milliseconds lease, const TimeSource& clock);

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) final;
  std::chrono::milliseconds leaseDuration() const final { return lease_; }
  void recordFailure(const OutboxEntry& entry, const std::string& error, std::optional<std::int64_t> next_attempt_ms,
                     Done done) final;
  void markDelivered(const OutboxEntry& entry, Done done) final;
  void recordStep(const OutboxEntry& entry, const std::string& channel_state, Done done) final;
  std::vector<OutboxEntry> postbus(const std::string& recipient_party_id, std::size_t limit) final;
  bool acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) final;
  std::optional<std::string> body(const std::string& transaction_id) final;
  std::optional<OutboxEntry> find(const std::string& transaction_id) final;
  std::vector<OutboxEntry> list(const DeliveryQuery& query) final;
  std::uint64_t count(DeliveryState state) final;
  std::map<std::string, std::string> oldestDuePerRecipient(std::int64_t now_ms) final;

 protected:
  // The columns every read here selects: the entry's, then the lease's until and fence.
  static std::string columnList(std::string_view prefix);
  // Entries whose next attempt is due at `now_ms` (at most `limit`), as columnList's rows.
  // One node: a read. Under the read session's lock.
  virtual sql::Rows takeDue(sql::Session& read, std::int64_t now_ms, std::size_t limit);
  // After entries were taken (several nodes: bring the registries up to what the database
  // held, so the basis is checked against every change committed before).
  virtual void taken(sql::Session& read) { (void)read; }
  const std::string& nodeId() const { return node_id_; }

  ExchangeLog& writer_;

 private:
  std::vector<OutboxEntry> select(const std::string& where, std::span<const sql::Value> args);

  std::string node_id_;
  std::chrono::milliseconds lease_;
  const TimeSource& clock_;  // when an entry finished
  std::mutex mutex_;
  std::unique_ptr<sql::Session> read_;
};

}  // namespace ketenpoort
