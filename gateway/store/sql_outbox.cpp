#include "gateway/store/sql_outbox.hpp"

#include <algorithm>
#include <future>
#include <limits>

#include "gateway/calendar/civil_date.hpp"

namespace ketenpoort {

namespace {

// An entry finished (delivered, acknowledged, given up, withdrawn): its body goes. When a
// purge removed its exchange's record while it waited, the row goes too: nothing may keep
// naming a purged exchange (issue 25).
void eraseBody(sql::Session& s, const std::string& transaction_id) {
  s.run("DELETE FROM outbox_bodies WHERE transaction_id = $1", {std::string_view(transaction_id)});
  s.run(
      "DELETE FROM outbox WHERE transaction_id = $1 AND state NOT IN ('pending', 'postbus') AND "
      "NOT EXISTS (SELECT 1 FROM exchange_log WHERE transaction_id = $1)",
      {std::string_view(transaction_id)});
}

// Where the lease's until and fence follow the entry's columns.
constexpr int kLeaseColumn = static_cast<int>(kOutboxColumns.size());

std::vector<OutboxEntry> entriesFrom(const sql::Rows& rows) {
  std::vector<OutboxEntry> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  std::array<std::string_view, kOutboxColumns.size()> columns;
  for (int row = 0; row < rows.size(); ++row) {
    for (std::size_t c = 0; c < columns.size(); ++c) columns[c] = rows.text(row, static_cast<int>(c));
    OutboxEntry& entry = out.emplace_back(outboxEntryFromColumnTexts(columns));
    entry.lease = {rows.integer(row, kLeaseColumn), rows.integer(row, kLeaseColumn + 1)};
  }
  return out;
}

}  // namespace

namespace outbox_tables {

void enqueue(sql::Session& s, const OutboxEntry& e, std::string_view body, std::string_view node_id,
             std::chrono::milliseconds lease) {
  const std::string_view route = toString(e.route);
  const std::string_view state =
      toString(e.route == DeliveryRoute::kPostbus ? DeliveryState::kPostbus : DeliveryState::kPending);
  const std::int64_t lease_until = lease.count() > 0 ? e.next_attempt_ms + lease.count() : 0;
  const sql::Rows inserted = s.run(
      "INSERT INTO outbox (transaction_id, trace_id, flow, purpose, legal_basis, sender_oin, recipient_party_id, "
      "recipient_oin, route, state, created_utc, attempts, next_attempt_ms, last_error, finished_utc, "
      "subject_ref, consent_id, agreement_id, koppeling_cbs, lease_node, lease_until_ms, lease_fence) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, '', '', $13, $14, $15, $16, $17, $18, 0) "
      "ON CONFLICT (transaction_id) DO NOTHING",
      {std::string_view(e.transaction_id), std::string_view(e.trace_id), std::string_view(e.flow),
       std::string_view(e.purpose), std::string_view(e.legal_basis), std::string_view(e.sender_oin),
       std::string_view(e.recipient_party_id), std::string_view(e.recipient_oin), route, state,
       std::string_view(e.created_utc), e.next_attempt_ms, std::string_view(e.subject_ref),
       std::string_view(e.consent_id), std::string_view(e.agreement_id), std::string_view(e.koppeling_cbs), node_id,
       lease_until});
  if (inserted.affected() != 1) throw std::runtime_error("transaction " + e.transaction_id + " is queued already");
  // Never overwrites: a body belongs to the exchange that wrote it first.
  const sql::Rows kept =
      s.run("INSERT INTO outbox_bodies (transaction_id, body) VALUES ($1, $2) ON CONFLICT (transaction_id) DO NOTHING",
            {std::string_view(e.transaction_id), sql::Blob{body}});
  if (kept.affected() != 1) {
    throw std::runtime_error("a body is kept under transaction " + e.transaction_id + " already");
  }
}

void withdraw(sql::Session& s, const std::string& transaction_id, Reason reason, std::string_view finished_utc) {
  const sql::Rows r = s.run(
      "UPDATE outbox SET state = 'withdrawn', last_error = $1, finished_utc = $2 "
      "WHERE transaction_id = $3 AND state IN ('pending', 'postbus')",
      {reasonName(reason), finished_utc, std::string_view(transaction_id)});
  if (r.affected() != 1) throw std::runtime_error("transaction " + transaction_id + " is no longer waiting");
  eraseBody(s, transaction_id);
}

}  // namespace outbox_tables

SqlOutboxStore::SqlOutboxStore(std::unique_ptr<sql::Session> read, ExchangeLog& writer, std::string node_id,
                               std::chrono::milliseconds lease, const TimeSource& clock)
    : writer_(writer), node_id_(std::move(node_id)), lease_(lease), clock_(clock), read_(std::move(read)) {}

std::string SqlOutboxStore::columnList(std::string_view prefix) {
  std::string list;
  for (const auto column : kOutboxColumns) list += std::string(prefix) + std::string(column) + ", ";
  return list + std::string(prefix) + "lease_until_ms, " + std::string(prefix) + "lease_fence";
}

std::vector<OutboxEntry> SqlOutboxStore::select(const std::string& where, std::span<const sql::Value> args) {
  static const std::string kSelect = "SELECT " + columnList("") + " FROM outbox ";
  return entriesFrom(read_->run(kSelect + where, args));
}

sql::Rows SqlOutboxStore::takeDue(sql::Session& read, std::int64_t now_ms, std::size_t limit) {
  static const std::string kDue = "SELECT " + columnList("") +
                                  " FROM outbox WHERE state = 'pending' AND next_attempt_ms <= $1 "
                                  "ORDER BY next_attempt_ms LIMIT $2";
  return read.run(kDue, {now_ms, static_cast<std::int64_t>(limit)});
}

std::vector<OutboxEntry> SqlOutboxStore::due(std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out = entriesFrom(takeDue(*read_, now_ms, limit));
  if (!out.empty()) taken(*read_);
  std::sort(out.begin(), out.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.next_attempt_ms < b.next_attempt_ms; });
  return out;
}

void SqlOutboxStore::recordFailure(const OutboxEntry& entry, const std::string& error,
                                   std::optional<std::int64_t> next_attempt_ms, Done done) {
  writer_.write(
      [=, transaction_id = entry.transaction_id, fence = entry.lease.fence, node = node_id_,
       finished = clock_.nowRfc3339()](sql::Session& s) {
        // The retry's time is any node's to take: the lease ends here.
        if (next_attempt_ms) {
          s.run(
              "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_ms = $2, lease_until_ms = 0 "
              "WHERE transaction_id = $3 AND state = 'pending' AND lease_node = $4 AND lease_fence = $5",
              {std::string_view(error), *next_attempt_ms, std::string_view(transaction_id), std::string_view(node),
               fence});
          return;
        }
        const sql::Rows r = s.run(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, state = 'dead-letter', finished_utc = $2 "
            "WHERE transaction_id = $3 AND state = 'pending' AND lease_node = $4 AND lease_fence = $5",
            {std::string_view(error), std::string_view(finished), std::string_view(transaction_id),
             std::string_view(node), fence});
        if (r.affected() == 1) eraseBody(s, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); });
}

void SqlOutboxStore::markDelivered(const OutboxEntry& entry, Done done) {
  writer_.write(
      [transaction_id = entry.transaction_id, fence = entry.lease.fence, node = node_id_,
       finished = clock_.nowRfc3339()](sql::Session& s) {
        const sql::Rows r = s.run(
            "UPDATE outbox SET attempts = attempts + 1, state = 'delivered', last_error = '', finished_utc = $1 "
            "WHERE transaction_id = $2 AND state = 'pending' AND lease_node = $3 AND lease_fence = $4",
            {std::string_view(finished), std::string_view(transaction_id), std::string_view(node), fence});
        if (r.affected() == 1) eraseBody(s, transaction_id);
      },
      [done = std::move(done)](const AppendResult& r) { done(r.ok, r.error); }, ExchangeLog::Sync::kDeferred);
}

void SqlOutboxStore::recordStep(const OutboxEntry& entry, const std::string& channel_state, Done done) {
  auto fenced_out = std::make_shared<bool>(false);
  writer_.write(
      [transaction_id = entry.transaction_id, fence = entry.lease.fence, node = node_id_, channel_state,
       fenced_out](sql::Session& s) {
        const sql::Rows r = s.run(
            "UPDATE outbox SET channel_state = $1 "
            "WHERE transaction_id = $2 AND state = 'pending' AND lease_node = $3 AND lease_fence = $4",
            {std::string_view(channel_state), std::string_view(transaction_id), std::string_view(node), fence});
        *fenced_out = r.affected() != 1;
      },
      [done = std::move(done), fenced_out](const AppendResult& r) {
        if (r.ok && *fenced_out) {
          done(false, "the entry is no longer this node's to deliver");
        } else {
          done(r.ok, r.error);
        }
      });
}

std::vector<OutboxEntry> SqlOutboxStore::postbus(const std::string& recipient_party_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  const std::array<sql::Value, 2> args{std::string_view(recipient_party_id), static_cast<std::int64_t>(limit)};
  return select("WHERE recipient_party_id = $1 AND state = 'postbus' ORDER BY created_utc, transaction_id LIMIT $2",
                args);
}

bool SqlOutboxStore::acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) {
  auto changed = std::make_shared<bool>(false);
  std::promise<AppendResult> written;
  writer_.write(
      [=, finished = clock_.nowRfc3339()](sql::Session& s) {
        const sql::Rows r = s.run(
            "UPDATE outbox SET state = 'delivered', finished_utc = $1 "
            "WHERE transaction_id = $2 AND recipient_party_id = $3 AND state = 'postbus'",
            {std::string_view(finished), std::string_view(transaction_id), std::string_view(recipient_party_id)});
        *changed = r.affected() == 1;
        if (*changed) eraseBody(s, transaction_id);
      },
      [&written](const AppendResult& r) { written.set_value(r); });
  const AppendResult result = written.get_future().get();
  if (!result.ok) throw std::runtime_error("cannot record the acknowledgement: " + result.error);
  return *changed;
}

std::optional<std::string> SqlOutboxStore::body(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  const sql::Rows r =
      read_->run("SELECT body FROM outbox_bodies WHERE transaction_id = $1", {std::string_view(transaction_id)});
  if (r.empty()) return std::nullopt;
  return std::string(r.text(0, 0));
}

std::optional<OutboxEntry> SqlOutboxStore::find(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  const std::array<sql::Value, 1> args{std::string_view(transaction_id)};
  auto found = select("WHERE transaction_id = $1", args);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<OutboxEntry> SqlOutboxStore::list(const DeliveryQuery& query) {
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
  std::vector<sql::Value> args(values.begin(), values.end());
  args.emplace_back(static_cast<std::int64_t>(query.limit));
  std::lock_guard lock(mutex_);
  return select(where, args);
}

std::uint64_t SqlOutboxStore::count(DeliveryState state) {
  std::lock_guard lock(mutex_);
  // The state as a literal (one of ours, not input): only then can the database count it
  // from the state's partial index instead of reading the whole table.
  return static_cast<std::uint64_t>(
      read_->run("SELECT COUNT(*) FROM outbox WHERE state = '" + std::string(toString(state)) + "'").integer(0, 0));
}

std::map<std::string, std::string> SqlOutboxStore::oldestDuePerRecipient(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const sql::Rows rows = read_->run(
      "SELECT recipient_party_id, MIN(created_utc) FROM outbox WHERE state = 'pending' AND next_attempt_ms <= $1 "
      "GROUP BY recipient_party_id",
      {now_ms});
  std::map<std::string, std::string> oldest;
  for (int row = 0; row < rows.size(); ++row) oldest.emplace(rows.text(row, 0), rows.text(row, 1));
  return oldest;
}

}  // namespace ketenpoort
