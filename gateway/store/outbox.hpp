#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ketenpoort {

// How a message reaches its recipient: pushed to the party's HTTPS endpoint, or left in
// its postbus (mailbox) for the party to fetch and acknowledge.
enum class DeliveryRoute { kEndpoint, kPostbus };

// State of one message after its exchange was logged as queued.
//  pending     waiting for (another) delivery attempt to the endpoint
//  postbus     waiting in the recipient's mailbox for its acknowledgement
//  delivered   the endpoint accepted it, or the recipient acknowledged it
//  dead-letter every attempt failed; an operator must act (audit CLI, /metrics)
//  withdrawn   its basis (consent, agreement, koppeling) ended before it left: never
//              delivered, body removed (last_error says which basis)
enum class DeliveryState { kPending, kPostbus, kDelivered, kDeadLetter, kWithdrawn };
std::string_view toString(DeliveryState state);
std::string_view toString(DeliveryRoute route);
std::optional<DeliveryState> parseDeliveryState(std::string_view text);

// Which node may deliver an entry until when, in a store that several nodes share: a node
// takes an entry with a lease, and its state changes name the lease (the fence) they were
// made under, so a node whose lease passed to another changes nothing. A store of one
// node has no leases (all zero).
struct OutboxLease {
  std::int64_t until_ms = 0;  // Unix ms; 0: no lease known (attempt without the check)
  std::int64_t fence = 0;     // the lease's number: 0 when taken at enqueue, +1 per take
};

// An outbox entry: everything about a message except its body, which the store keeps
// beside it (written in the same transaction, removed in the same write that ends its
// wait) and hands out only by OutboxStore::body. The transaction id is the idempotency
// key the receiver sees.
struct OutboxEntry {
  std::string transaction_id;
  std::string trace_id;
  std::string flow;
  std::string purpose;
  std::string legal_basis;
  std::string sender_oin;
  std::string recipient_party_id;
  std::string recipient_oin;
  DeliveryRoute route = DeliveryRoute::kEndpoint;
  DeliveryState state = DeliveryState::kPending;
  std::string created_utc;
  std::uint32_t attempts = 0;
  std::int64_t next_attempt_ms = 0;  // Unix milliseconds
  std::string last_error;            // a reason code or transport error, never a body
  std::string finished_utc;          // delivered or dead-lettered at
  // The basis the exchange was allowed on, checked again when the message leaves:
  std::string subject_ref;    // whom it is about (keyed hash), "" when no one
  std::string consent_id;     // "" when no consent was needed
  std::string agreement_id;   // "" when no agreement was needed
  std::string koppeling_cbs;  // the gemeente the person had to be gekoppeld to, or ""
  // A channel that delivers in steps (a case system: zaak, rol, documents, links; ADR
  // 0028): what its steps made so far, as the channel writes it (references to what the
  // recipient holds, never a message's content). "" before the first step. Kept after
  // the entry is delivered: it names where the message went.
  std::string channel_state;
  OutboxLease lease;
};

// The outbox table's columns as every store reads them back, in this order, and the entry
// their texts describe (integers as decimal text). Throws std::runtime_error when a
// number column is not one.
inline constexpr std::array<std::string_view, 20> kOutboxColumns{
    "transaction_id",     "trace_id",      "flow",         "purpose",     "legal_basis", "sender_oin",
    "recipient_party_id", "recipient_oin", "route",        "state",       "created_utc", "attempts",
    "next_attempt_ms",    "last_error",    "finished_utc", "subject_ref", "consent_id",  "agreement_id",
    "koppeling_cbs",      "channel_state"};
OutboxEntry outboxEntryFromColumnTexts(const std::array<std::string_view, kOutboxColumns.size()>& columns);

// What a channel that delivers in steps made, as its channel_state names it: each step
// and the reference it left (a URL in the recipient's system), in the order taken. Empty
// for "" or text that is not such a state.
std::vector<std::pair<std::string, std::string>> channelSteps(std::string_view channel_state);

// What a privacy officer asks of the outbox (`ketenpoort audit deliveries`). The
// organisation scopes every answer: only entries it sent or is to receive.
struct DeliveryQuery {
  std::string organisation_oin;
  std::optional<DeliveryState> state;
  std::optional<std::string> flow;
  std::optional<std::string> party_oin;  // as sender or recipient
  std::size_t limit = 1000;

  // The query as the audit-query log record states it.
  std::vector<std::string> describe() const;
};

// The outbox's state, beside the log. Entries are created only inside a log record's
// transaction (StoreTransaction::enqueueDelivery, with their body), so an entry exists if
// and only if its exchange is logged as queued, and its body exists exactly while it
// waits (pending or postbus): the write that marks it delivered, acknowledged,
// dead-lettered or withdrawn removes the body with it, so no body is ever orphaned or
// kept past its purpose. Reads run on the caller's thread; the outcome of an attempt is written in the
// background (batched with other writes, so a delivery never waits for the disk) and
// reported to `done` on the store's thread.
class OutboxStore {
 public:
  using Done = std::function<void(bool ok, const std::string& error)>;
  virtual ~OutboxStore() = default;

  // Endpoint entries whose next attempt is due at `now_ms`, oldest first. A store shared by
  // several nodes leases them to this node (leaseDuration), skipping entries another node
  // holds a lease on.
  virtual std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) = 0;
  // How long a lease lasts; zero for a store of one node (no leases). A new entry is leased
  // to the node that queued it until its next_attempt_ms plus this.
  virtual std::chrono::milliseconds leaseDuration() const { return std::chrono::milliseconds(0); }
  // A failed attempt: count it, and either schedule the next or give up (dead-letter; the
  // body goes); the lease ends with it. Durable before `done`. Under a lease that has
  // passed to another node, nothing changes.
  virtual void recordFailure(const OutboxEntry& entry, const std::string& error,
                             std::optional<std::int64_t> next_attempt_ms, Done done) = 0;
  // Delivered (endpoint accepted it): the state changes and the body goes, in one write.
  // Idempotent; fenced as recordFailure. `done` may run before the write is synced: a
  // delivered state lost to a power cut makes the message due again, and the receiver
  // drops the repeat by its transaction id (ADR 0011).
  virtual void markDelivered(const OutboxEntry& entry, Done done) = 0;
  // A step of a channel that delivers in steps succeeded: `channel_state` becomes the
  // entry's, so an attempt after a crash resumes after it. Durable before `done`; fenced
  // as recordFailure (a lease passed to another node changes nothing, and `done` hears
  // false with an error).
  virtual void recordStep(const OutboxEntry& entry, const std::string& channel_state, Done done) = 0;

  // The body of a waiting entry; nullopt once it is gone.
  virtual std::optional<std::string> body(const std::string& transaction_id) = 0;

  // The recipient's waiting postbus entries, oldest first.
  virtual std::vector<OutboxEntry> postbus(const std::string& recipient_party_id, std::size_t limit) = 0;
  // The recipient acknowledges one of its own postbus entries (its body goes with it);
  // false when there is no such entry for that recipient (another party's entries are
  // invisible). Waits until durable; throws std::runtime_error when the store cannot
  // write.
  virtual bool acknowledge(const std::string& recipient_party_id, const std::string& transaction_id) = 0;

  virtual std::optional<OutboxEntry> find(const std::string& transaction_id) = 0;
  // Entries matching `query`, newest first; for the audit CLI.
  virtual std::vector<OutboxEntry> list(const DeliveryQuery& query) = 0;
  virtual std::uint64_t count(DeliveryState state) = 0;
  // Per recipient party with an endpoint entry due at `now_ms`: when its oldest due entry
  // was queued (created_utc). For the alert on a recipient that stopped taking deliveries.
  virtual std::map<std::string, std::string> oldestDuePerRecipient(std::int64_t now_ms) = 0;
};

}  // namespace ketenpoort
