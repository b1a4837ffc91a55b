#include "gateway/pg_store/pg_outbox.hpp"

#include <algorithm>
#include <future>
#include <limits>
#include <memory>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/pg_store/pg_exchange_log.hpp"

namespace ketenpoort {

using pg::Param;

namespace {

// An entry finished (delivered, acknowledged, given up, withdrawn): its body goes. When a
// purge removed its exchange's record while it waited, the row goes too: nothing may keep
// naming a purged exchange (issue 25).
void eraseBody(pg::Connection& c, const std::string& transaction_id) {
  c.run("DELETE FROM outbox_bodies WHERE transaction_id = $1", {std::string_view(transaction_id)});
  c.run("DELETE FROM outbox WHERE transaction_id = $1 AND state NOT IN ('pending', 'postbus') AND "
        "NOT EXISTS (SELECT 1 FROM exchange_log WHERE transaction_id = $1)",
        {std::string_view(transaction_id)});
}

// Where the lease's until and fence follow the shared columns in due()'s answer.
constexpr int kLeaseColumn = static_cast<int>(kOutboxColumns.size());

// The shared columns and then the lease's, as every read here selects them.
OutboxEntry entryFrom(const pg::Result& r, int row) {
  std::array<std::string_view, kOutboxColumns.size()> columns;
  for (std::size_t c = 0; c < columns.size(); ++c) columns[c] = r.text(row, static_cast<int>(c));
  OutboxEntry entry = outboxEntryFromColumnTexts(columns);
  entry.lease = {r.integer(row, kLeaseColumn), r.integer(row, kLeaseColumn + 1)};
  return entry;
}

std::string columnList(const std::string& prefix) {
  std::string list;
  for (const auto column : kOutboxColumns) list += prefix + std::string(column) + ", ";
  return list + prefix + "lease_until_ms, " + prefix + "lease_fence";
}

}  // namespace

namespace pg_outbox {

void enqueue(pg::Connection& c, const OutboxEntry& e, std::string_view body, const std::string& node_id,
             std::chrono::milliseconds lease) {
  const std::string_view route = toString(e.route);
  const std::string_view state =
      toString(e.route == DeliveryRoute::kPostbus ? DeliveryState::kPostbus : DeliveryState::kPending);
  const pg::Result inserted = c.run(
      "INSERT INTO outbox (transaction_id, trace_id, flow, purpose, legal_basis, sender_oin, recipient_party_id, "
      "recipient_oin, route, state, created_utc, attempts, next_attempt_ms, last_error, finished_utc, "
      "subject_ref, consent_id, agreement_id, koppeling_cbs, lease_node, lease_until_ms, lease_fence) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, '', '', $13, $14, $15, $16, $17, $18, 0) "
      "ON CONFLICT (transaction_id) DO NOTHING",
      {std::string_view(e.transaction_id), std::string_view(e.trace_id), std::string_view(e.flow),
       std::string_view(e.purpose), std::string_view(e.legal_basis), std::string_view(e.sender_oin),
       std::string_view(e.recipient_party_id), std::string_view(e.recipient_oin), route, state,
       std::string_view(e.created_utc), e.next_attempt_ms, std::string_view(e.subject_ref),
       std::string_view(e.consent_id), std::string_view(e.agreement_id), std::string_view(e.koppeling_cbs),
       std::string_view(node_id), e.next_attempt_ms + lease.count()});
  if (inserted.affected() != 1) throw std::runtime_error("transaction " + e.transaction_id + " is queued already");
  // Never overwrites: a body belongs to the exchange that wrote it first.
  const pg::Result kept = c.run(
      "INSERT INTO outbox_bodies (transaction_id, body) VALUES ($1, $2) ON CONFLICT (transaction_id) DO NOTHING",
      {std::string_view(e.transaction_id), pg::Bytes{body}});
  if (kept.affected() != 1) {
    throw std::runtime_error("a body is kept under transaction " + e.transaction_id + " already");
  }
}

void withdraw(pg::Connection& c, const std::string& transaction_id, const std::string& reason) {
  const std::string now = utcNowRfc3339();
  const pg::Result r = c.run(
      "UPDATE outbox SET state = 'withdrawn', last_error = $2, finished_utc = $3 "
      "WHERE transaction_id = $1 AND state IN ('pending', 'postbus')",
      {std::string_view(transaction_id), std::string_view(reason), std::string_view(now)});
  if (r.affected() != 1) throw std::runtime_error("transaction " + transaction_id + " is no longer waiting");
  eraseBody(c, transaction_id);
}

}  // namespace pg_outbox

PgOutboxStore::PgOutboxStore(const std::string& dsn, PgExchangeLog& writer, std::chrono::milliseconds lease)
    : writer_(writer), lease_(lease), read_(dsn) {}

std::vector<OutboxEntry> PgOutboxStore::select(const std::string& where, const std::vector<Param>& args) {
  static const std::string kSelect = "SELECT " + columnList("") + " FROM outbox ";
  const pg::Result r = pg::runReconnecting(read_, kSelect + where, args);
  std::vector<OutboxEntry> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(entryFrom(r, i));
  return out;
}

std::vector<OutboxEntry> PgOutboxStore::due(std::int64_t now_ms, std::size_t limit) {
  // One statement, committed on its own: the entries are this node's from here on.
  static const std::string kTake = [] {
    // This node's own leases are taken again too (an entry it queued but could not keep
    // in memory, or held before a restart), keeping their fence: an attempt of this node
    // still under way stays valid. Another node's lease is taken only once it has ended,
    // and then the fence goes up.
    return "WITH taken AS (SELECT transaction_id FROM outbox WHERE state = 'pending' AND next_attempt_ms <= $1 "
           "AND (lease_until_ms <= $1 OR lease_node = $3) ORDER BY next_attempt_ms LIMIT $2 "
           "FOR UPDATE SKIP LOCKED) "
           "UPDATE outbox o SET lease_until_ms = $4, lease_fence = CASE WHEN o.lease_node = $3 "
           "THEN o.lease_fence ELSE o.lease_fence + 1 END, lease_node = $3 "
           "FROM taken WHERE o.transaction_id = taken.transaction_id RETURNING " +
           columnList("o.");
  }();
  const std::int64_t lease = lease_.count();
  const std::int64_t until = now_ms > std::numeric_limits<std::int64_t>::max() - lease
                                 ? std::numeric_limits<std::int64_t>::max()
                                 : now_ms + lease;
  std::lock_guard lock(mutex_);
  const pg::Result r = pg::runReconnecting(
      read_, kTake, {now_ms, static_cast<std::int64_t>(limit), std::string_view(writer_.nodeId()), until});
  std::vector<OutboxEntry> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(entryFrom(r, i));
  // Another node may have queued these together with a registry change (the klantprofiel
  // and its koppeling): the basis is checked against a snapshot that has it.
  if (!out.empty()) {
    const auto version = static_cast<std::uint64_t>(
        pg::runReconnecting(read_, "SELECT version FROM registry_version WHERE id = 1").integer(0, 0));
    writer_.catchUpRegistries(read_, version);
  }
  std::sort(out.begin(), out.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.next_attempt_ms < b.next_attempt_ms; });
  return out;
}

void PgOutboxStore::recordFailure(const OutboxEntry& entry, const std::string& error,
                                  std::optional<std::int64_t> next_attempt_ms, Done done) {
  writer_.write(
      [=, transaction_id = entry.transaction_id, fence = entry.lease.fence, node = writer_.nodeId(),
       finished = utcNowRfc3339()](pg::Connection& c) {
        // The retry's time is any node's to take: the lease ends here.
        if (next_attempt_ms) {
          c.run("UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_ms = $3, lease_until_ms = 0 "
                "WHERE transaction_id = $1 AND state = 'pending' AND lease_node = $4 AND lease_fence = $5",
                {std::string_view(transaction_id), std::string_view(error), *next_attempt_ms, std::string_view(node),
                 fence});
          return;
        }
        const pg::Result r = c.run(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, state = 'dead-letter', finished_utc = $3 "
            "WHERE transaction_id = $1 AND state = 'pending' AND lease_node = $4 AND lease_fence = $5",
            {std::string_view(transaction_id), std::string_view(error), std::string_view(finished),
             std::string_view(node), fence});
        if (r.affected() == 1) eraseBody(c, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); });
}

void PgOutboxStore::markDelivered(const OutboxEntry& entry, Done done) {
  writer_.write(
      [transaction_id = entry.transaction_id, fence = entry.lease.fence, node = writer_.nodeId(),
       finished = utcNowRfc3339()](pg::Connection& c) {
        const pg::Result r = c.run(
            "UPDATE outbox SET attempts = attempts + 1, state = 'delivered', last_error = '', finished_utc = $2 "
            "WHERE transaction_id = $1 AND state = 'pending' AND lease_node = $3 AND lease_fence = $4",
            {std::string_view(transaction_id), std::string_view(finished), std::string_view(node), fence});
        if (r.affected() == 1) eraseBody(c, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); }, PgExchangeLog::Sync::kDeferred);
}

std::vector<OutboxEntry> PgOutboxStore::postbus(const std::string& recipient_party_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return select("WHERE recipient_party_id = $1 AND state = 'postbus' ORDER BY created_utc, transaction_id LIMIT $2",
                {std::string_view(recipient_party_id), static_cast<std::int64_t>(limit)});
}

bool PgOutboxStore::acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) {
  auto changed = std::make_shared<bool>(false);
  std::promise<AppendResult> written;
  writer_.write(
      [=, finished = utcNowRfc3339()](pg::Connection& c) {
        const pg::Result r = c.run(
            "UPDATE outbox SET state = 'delivered', finished_utc = $3 "
            "WHERE transaction_id = $1 AND recipient_party_id = $2 AND state = 'postbus'",
            {std::string_view(transaction_id), std::string_view(recipient_party_id), std::string_view(finished)});
        *changed = r.affected() == 1;
        if (*changed) eraseBody(c, transaction_id);
      },
      [&written](const AppendResult& r) { written.set_value(r); });
  const AppendResult result = written.get_future().get();
  if (!result.ok) throw std::runtime_error("cannot record the acknowledgement: " + result.error);
  return *changed;
}

std::optional<std::string> PgOutboxStore::body(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  const pg::Result r = pg::runReconnecting(read_, "SELECT body FROM outbox_bodies WHERE transaction_id = $1",
                                           {std::string_view(transaction_id)});
  if (r.rows() == 0) return std::nullopt;
  return r.bytes(0, 0);
}

std::optional<OutboxEntry> PgOutboxStore::find(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  auto found = select("WHERE transaction_id = $1", {std::string_view(transaction_id)});
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<OutboxEntry> PgOutboxStore::list(const DeliveryQuery& query) {
  // Scoped in SQL, before the limit, so another organisation's entries never take its room.
  std::string where = "WHERE (sender_oin = $1 OR recipient_oin = $1)";
  std::vector<std::string> values{query.organisation_oin};
  const auto add = [&](const std::string& condition, std::string value) {
    values.push_back(std::move(value));
    const std::string n = "$" + std::to_string(values.size());
    std::string bound = condition;
    for (std::size_t at; (at = bound.find('?')) != std::string::npos;) bound.replace(at, 1, n);
    where += " AND " + bound;
  };
  if (query.state) add("state = ?", std::string(toString(*query.state)));
  if (query.flow) add("flow = ?", *query.flow);
  if (query.party_oin) add("(sender_oin = ? OR recipient_oin = ?)", *query.party_oin);
  where += " ORDER BY created_utc DESC, transaction_id DESC LIMIT $" + std::to_string(values.size() + 1);
  std::vector<Param> args(values.begin(), values.end());
  args.emplace_back(static_cast<std::int64_t>(query.limit));
  std::lock_guard lock(mutex_);
  return select(where, args);
}

std::uint64_t PgOutboxStore::count(DeliveryState state) {
  std::lock_guard lock(mutex_);
  // The state as a literal (one of ours, not input), so the planner counts it from the
  // state's partial index.
  const pg::Result r =
      pg::runReconnecting(read_, "SELECT COUNT(*) FROM outbox WHERE state = '" + std::string(toString(state)) + "'");
  return static_cast<std::uint64_t>(r.integer(0, 0));
}

}  // namespace ketenpoort
