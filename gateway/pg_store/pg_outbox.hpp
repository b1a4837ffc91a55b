#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/outbox.hpp"

namespace ketenpoort {

class PgExchangeLog;

// The outbox and its bodies in PostgreSQL, shared by every node. Entries and bodies are
// written only inside a log record's transaction (pg_outbox::enqueue), leased to the node
// that queued them; delivery state is written by the node's log writer in its next group
// (markDelivered without a synchronous commit of its own, as ADR 0011 allows). Reads run
// on a connection of their own.
//
// Leases (ADR 0016): due() takes entries whose time has come and whose lease has passed
// (`FOR UPDATE SKIP LOCKED`: two nodes reading at once take different entries), leasing
// them to this node and raising their fence. Every state change names the node and fence
// it was taken under; one made under a lease that passed to another node changes nothing.
// A node that dies leaves its entries leased until the lease ends; then another node
// delivers them.
class PgOutboxStore final : public OutboxStore {
 public:
  PgOutboxStore(const std::string& dsn, PgExchangeLog& writer, std::chrono::milliseconds lease);

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override;
  std::chrono::milliseconds leaseDuration() const override { return lease_; }
  void recordFailure(const OutboxEntry& entry, const std::string& error,
                     std::optional<std::int64_t> next_attempt_ms, Done done) override;
  void markDelivered(const OutboxEntry& entry, Done done) override;
  std::vector<OutboxEntry> postbus(const std::string& recipient_party_id, std::size_t limit) override;
  bool acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) override;
  std::optional<std::string> body(const std::string& transaction_id) override;
  std::optional<OutboxEntry> find(const std::string& transaction_id) override;
  std::vector<OutboxEntry> list(const DeliveryQuery& query) override;
  std::uint64_t count(DeliveryState state) override;

 private:
  std::vector<OutboxEntry> select(const std::string& where, const std::vector<pg::Param>& args);

  PgExchangeLog& writer_;
  std::chrono::milliseconds lease_;
  std::mutex mutex_;
  pg::Connection read_;
};

namespace pg_outbox {
// Leased to `node_id` until the entry's next_attempt_ms plus `lease`, fence 0.
void enqueue(pg::Connection& c, const OutboxEntry& entry, std::string_view body, const std::string& node_id,
             std::chrono::milliseconds lease);
void withdraw(pg::Connection& c, const std::string& transaction_id, const std::string& reason);
}  // namespace pg_outbox

}  // namespace ketenpoort
