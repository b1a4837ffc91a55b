#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "gateway/pg_store/pg_connection.hpp"
#include "gateway/store/outbox.hpp"

namespace ketenpoort {

class PgExchangeLog;

// The outbox and its bodies in PostgreSQL, shared by every node. Entries and bodies are
// written only inside a log record's transaction (pg_outbox::enqueue); delivery state is
// written by the node's log writer in its next group (markDelivered without a synchronous
// commit of its own, as ADR 0011 allows). Reads run on a connection of their own.
class PgOutboxStore final : public OutboxStore {
 public:
  PgOutboxStore(const std::string& dsn, PgExchangeLog& writer);

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override;
  void recordFailure(const std::string& transaction_id, const std::string& error,
                     std::optional<std::int64_t> next_attempt_ms, Done done) override;
  void markDelivered(const std::string& transaction_id, Done done) override;
  std::vector<OutboxEntry> postbus(const std::string& recipient_party_id, std::size_t limit) override;
  bool acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) override;
  std::optional<std::string> body(const std::string& transaction_id) override;
  std::optional<OutboxEntry> find(const std::string& transaction_id) override;
  std::vector<OutboxEntry> list(const DeliveryQuery& query) override;
  std::uint64_t count(DeliveryState state) override;

 private:
  std::vector<OutboxEntry> select(const std::string& where, const std::vector<pg::Param>& args);

  PgExchangeLog& writer_;
  std::mutex mutex_;
  pg::Connection read_;
};

namespace pg_outbox {
void enqueue(pg::Connection& c, const OutboxEntry& entry, std::string_view body);
void withdraw(pg::Connection& c, const std::string& transaction_id, const std::string& reason);
}  // namespace pg_outbox

}  // namespace ketenpoort
