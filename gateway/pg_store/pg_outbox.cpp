#include "gateway/pg_store/pg_outbox.hpp"

#include <limits>

#include "gateway/pg_store/pg_exchange_log.hpp"
#include "gateway/pg_store/pg_session.hpp"
#include "gateway/store/registry_tables.hpp"

namespace ketenpoort {

PgOutboxStore::PgOutboxStore(const std::string& dsn, PgExchangeLog& writer, std::chrono::milliseconds lease)
    : SqlOutboxStore(PgSession::forReads(dsn), writer, writer.nodeId(), lease, writer.timeSource()), log_(writer) {}

sql::Rows PgOutboxStore::takeDue(sql::Session& read, std::int64_t now_ms, std::size_t limit) {
  // One statement, committed on its own: the entries are this node's from here on.
  static const std::string kTake = [] {
    // This node's own leases are taken again too (an entry it queued but could not keep
    // in memory, or held before a restart), keeping their fence: an attempt of this node
    // still under way stays valid. Another node's lease is taken only once it has ended,
    // and then the fence goes up.
    return "WITH taken AS (SELECT transaction_id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= $1 "
           "AND (lease_until_ms <= $1 OR lease_node = $2) ORDER BY next_attempt_ms LIMIT $3 "
           "FOR UPDATE SKIP LOCKED) "
           "UPDATE outbox o SET lease_until_ms = $4, lease_fence = CASE WHEN o.lease_node = $2 "
           "THEN o.lease_fence ELSE o.lease_fence + 1 END, lease_node = $2 "
           "FROM taken WHERE o.transaction_id = taken.transaction_id RETURNING " +
           columnList("o.");
  }();
  const std::int64_t lease = leaseDuration().count();
  const std::int64_t until = now_ms > std::numeric_limits<std::int64_t>::max() - lease
                                 ? std::numeric_limits<std::int64_t>::max()
                                 : now_ms + lease;
  return read.run(kTake, {now_ms, std::string_view(nodeId()), static_cast<std::int64_t>(limit), until});
}

void PgOutboxStore::taken(sql::Session& read) {
  // Another node may have queued these together with a registry change (the klantprofiel
  // and its koppeling): the basis is checked against a snapshot that has it.
  log_.catchUpRegistries(read, registry_tables::version(read));
}

}  // namespace ketenpoort
