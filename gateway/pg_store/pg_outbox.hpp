#pragma once

#include <chrono>
#include <string>

#include "gateway/store/sql_outbox.hpp"

namespace ketenpoort {

class PgExchangeLog;

// The outbox and its bodies in PostgreSQL, shared by every node: the statements every
// store shares (SqlOutboxStore), entries taken with a lease. Entries and bodies are written
// only inside a log record's transaction, leased to the node that queued them; delivery
// state is written by the node's log writer in its next group (markDelivered without a
// synchronous commit of its own, as ADR 0011 allows). Reads run on a connection of their
// own.
//
// Leases (ADR 0016): due() takes entries whose time has come and whose lease has passed
// (`FOR UPDATE SKIP LOCKED`: two nodes reading at once take different entries), leasing
// them to this node and raising their fence. Every state change names the node and fence
// it was taken under; one made under a lease that passed to another node changes nothing.
// A node that dies leaves its entries leased until the lease ends; then another node
// delivers them.
class PgOutboxStore final : public SqlOutboxStore {
 public:
  PgOutboxStore(const std::string& dsn, PgExchangeLog& writer, std::chrono::milliseconds lease);

 private:
  sql::Rows takeDue(sql::Session& read, std::int64_t now_ms, std::size_t limit) override;
  void taken(sql::Session& read) override;

  PgExchangeLog& log_;
};

}  // namespace ketenpoort
