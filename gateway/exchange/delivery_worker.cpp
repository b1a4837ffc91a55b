#include "gateway/exchange/delivery_worker.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/concurrency/slots.hpp"
#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

namespace {

// Entries waiting for a slot, at most; beyond it they wait in the outbox until a read
// finds them.
constexpr std::size_t kBatch = 1024;
constexpr auto kPollEvery = std::chrono::milliseconds(200);
constexpr auto kGaugesEvery = std::chrono::seconds(1);

// A coroutine nobody awaits: it runs from its call until its end and frees itself. An
// exception that escapes it is a bug; its entry stays due.
struct DetachedDelivery {
  struct promise_type {
    DetachedDelivery get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {
      try {
        throw;
      } catch (const std::exception& e) {
        logError("delivery-bookkeeping-failed", {{"error", e.what()}});
      } catch (...) {
        logError("delivery-bookkeeping-failed", {});
      }
    }
  };
};

// What the outbox or the log answers once an outcome is written.
struct Recorded {
  bool ok = false;
  std::string error;
};

}  // namespace

// The entries in hand — from submit or a read until their outcome is durable — and those
// let go since the reader's current read of the outbox began: that read may still show
// them due (delivered or rescheduled after it looked), and taking them again would
// deliver twice or dead-letter a delivered message.
class EntriesInHand {
 public:
  class Claim {
   public:
    Claim(std::shared_ptr<EntriesInHand> hand, std::string id) : hand_(std::move(hand)), id_(std::move(id)) {}
    Claim(Claim&&) noexcept = default;
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    Claim& operator=(Claim&&) = delete;
    ~Claim() {
      if (hand_) hand_->letGo(id_);
    }

   private:
    std::shared_ptr<EntriesInHand> hand_;
    std::string id_;
  };

  // Nullopt when the entry is in hand already, or (for what a read found) was let go
  // during that read.
  static std::optional<Claim> take(const std::shared_ptr<EntriesInHand>& hand, const std::string& id,
                                   bool found_by_read) {
    std::lock_guard lock(hand->mutex_);
    if (found_by_read && hand->let_go_during_read_.contains(id)) return std::nullopt;
    if (!hand->in_hand_.insert(id).second) return std::nullopt;
    return Claim(hand, id);
  }
  // A read begins: what was let go before it, it sees as it is now.
  void readBegins() {
    std::lock_guard lock(mutex_);
    let_go_during_read_.clear();
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return in_hand_.size();
  }

 private:
  void letGo(const std::string& id) {
    std::lock_guard lock(mutex_);
    in_hand_.erase(id);
    let_go_during_read_.insert(id);
  }

  mutable std::mutex mutex_;
  std::set<std::string> in_hand_;
  std::set<std::string> let_go_during_read_;
};

// Outcomes handed to the outbox or the log and not yet durable; stop() waits for none.
class OutcomesBeingRecorded {
 public:
  class Token {
   public:
    explicit Token(OutcomesBeingRecorded& o) : o_(&o) {
      std::lock_guard lock(o_->mutex_);
      ++o_->count_;
    }
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;
    ~Token() {
      // Under the lock: stop() may return as soon as it sees none, and the worker go.
      std::lock_guard lock(o_->mutex_);
      if (--o_->count_ == 0) o_->none_.notify_all();
    }

   private:
    OutcomesBeingRecorded* o_;
  };
  void waitForNone() {
    std::unique_lock lock(mutex_);
    none_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable none_;
  std::size_t count_ = 0;
};

struct DeliveryWorker::Core {
  Core(CurrentDeliveryRules r, OutboxStore& o, const ExchangeAdapters& a, GatewayMetrics& m, const TimeSource& t,
       Executor n)
      : rules(std::move(r)),
        outbox(o),
        adapters(a),
        metrics(m),
        time(t),
        on_network(n ? std::move(n) : Executor([](const std::function<void()>& task) { task(); })),
        slots(rules().config->outbox.workers) {}

  const CurrentDeliveryRules rules;
  OutboxStore& outbox;
  const ExchangeAdapters& adapters;
  GatewayMetrics& metrics;
  const TimeSource& time;  // when a retry is due
  const Executor on_network;
  Slots slots;  // attempts in the channel at once
  std::shared_ptr<EntriesInHand> in_hand = std::make_shared<EntriesInHand>();
  OutcomesBeingRecorded recording;
  std::atomic<bool> stopping{false};
};

namespace {

using Core = DeliveryWorker::Core;

struct Due {
  OutboxEntry entry;
  std::shared_ptr<const std::string> body;  // nullptr: not in the outbox any more
};

std::mt19937_64& threadRng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// A step of a case system delivery, recorded in the outbox entry before the next begins.
CaseSystemChannel::RecordStep stepRecorder(Core& c, const OutboxEntry& entry) {
  return [&c, entry](const std::string& channel_state, std::function<void(bool)> recorded) {
    c.outbox.recordStep(
        entry, channel_state,
        [recorded = std::move(recorded), id = entry.transaction_id](bool ok, const std::string& error) {
          if (!ok)
            logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "step"}, {"error", error}});
          recorded(ok);
        });
  };
}

// The channel's answer to one attempt, or the gateway's own reason not to try.
auto attemptOnce(Core& c, const DeliveryRules& rules, const Due& due) {
  const OutboxEntry& entry = due.entry;
  const Party* recipient = rules.config->findPartyById(entry.recipient_party_id);
  // The case system the recipient takes this flow into, kept alive by `rules`.
  const ZgwTarget* case_system = recipient ? recipient->zgwFor(entry.flow) : nullptr;
  const std::string url = recipient ? endpointFor(*recipient, entry.flow) : std::string();
  const auto format = recipient ? c.adapters.outbound_by_role.find(recipient->role) : c.adapters.outbound_by_role.end();
  return calledBack<DeliveryAttempt>([&c, &due, case_system, url, format](std::function<void(DeliveryAttempt)> done) {
    if (case_system) {
      if (!c.adapters.case_system) {
        done({false, {}, Reason::kRecipientEndpointGone});
      } else if (!due.body) {
        done({false, {}, Reason::kPayloadMissing});
      } else {
        c.adapters.case_system->deliver(*case_system, due.entry, due.body, stepRecorder(c, due.entry), std::move(done));
      }
    } else if (url.empty() || format == c.adapters.outbound_by_role.end() || !c.adapters.channel) {
      done({false, {}, Reason::kRecipientEndpointGone});  // the config changed since it was queued
    } else if (!due.body) {
      done({false, {}, Reason::kPayloadMissing});
    } else {
      c.adapters.channel->deliver(url, due.entry, format->second->contentType(), due.body, std::move(done));
    }
  });
}

// A delivered message's basis, checked again: checked before the attempt, a basis that
// ended while the message was on its way cannot be undone, but it is not hidden either.
void noteDelivered(Core& c, const DeliveryRules& rules, const OutboxEntry& entry) {
  c.metrics.delivery_attempts.inc({"delivered"});
  if (!rules.basis) return;
  try {
    if (const auto which = rules.basis->withdrawn(entry)) rules.basis->recordEndedDuringDelivery(entry, *which);
  } catch (const std::exception& e) {
    logError("delivery-bookkeeping-failed",
             {{"transaction", entry.transaction_id}, {"outcome", "basis-check"}, {"error", e.what()}});
  }
}

// When a failed attempt is tried again, or nullopt for dead-letter (the last attempt, or
// nothing left to deliver).
std::optional<std::int64_t> nextAttempt(Core& c, const DeliveryRules& rules, const OutboxEntry& entry,
                                        const DeliveryAttempt& attempt) {
  const std::uint32_t failed = entry.attempts + 1;
  if (failed >= rules.config->outbox.max_attempts || attempt.failure == Reason::kPayloadMissing) {
    c.metrics.delivery_attempts.inc({"dead-letter"});
    logError("delivery-dead-letter", {{"transaction", entry.transaction_id},
                                      {"recipient", entry.recipient_party_id},
                                      {"attempts", failed},
                                      {"error", attempt.lastError()}});
    return std::nullopt;
  }
  const std::chrono::milliseconds delay = retryDelay(rules.config->outbox, failed, threadRng());
  c.metrics.delivery_attempts.inc({"failed"});
  logInfo("delivery-retry", {{"transaction", entry.transaction_id},
                             {"recipient", entry.recipient_party_id},
                             {"attempt", failed},
                             {"retry_in_ms", delay.count()},
                             {"error", attempt.lastError()}});
  return c.time.nowMs() + delay.count();
}

// Writes the attempt's outcome: delivered, a retry at its time, or dead-letter. The
// returned awaiter's answer says whether it is durable.
auto recordOutcome(Core& c, const DeliveryRules& rules, const OutboxEntry& entry, const DeliveryAttempt& attempt) {
  std::optional<std::int64_t> retry_at;
  if (attempt.delivered) {
    noteDelivered(c, rules, entry);
  } else {
    retry_at = nextAttempt(c, rules, entry, attempt);
  }
  return calledBack<Recorded>(
      [&c, &entry, delivered = attempt.delivered, error = attempt.lastError(), retry_at](auto done) {
        const auto written = [done](bool ok, const std::string& problem) { done({ok, problem}); };
        if (delivered) {
          c.outbox.markDelivered(entry, written);
        } else {
          c.outbox.recordFailure(entry, error, retry_at, written);
        }
      });
}

// One due entry, start to end. It holds its claim (and, past the slot, its frame holds
// nothing else of the worker's) until the outcome is durable.
DetachedDelivery deliver(std::shared_ptr<Core> core, [[maybe_unused]] EntriesInHand::Claim claim, Due due) {
  Core& c = *core;
  co_await ResumeOn(c.on_network);  // from the writer or the reader: the one hand-off
  std::optional<Slots::Slot> slot = co_await c.slots.acquire();
  if (!slot || c.stopping) co_return;
  const OutboxEntry& entry = due.entry;
  const std::string& id = entry.transaction_id;
  // The configuration in force now decides this attempt, whatever a reload does meanwhile.
  const DeliveryRules rules = c.rules();
  // An attempt must end within the lease: after it, another node may take the entry and
  // deliver it too. One that waited in memory too long is left for the next take.
  if (entry.lease.until_ms != 0 &&
      c.time.nowMs() + rules.config->outbox.delivery_timeout.count() >= entry.lease.until_ms) {
    logWarn("delivery-lease-ended", {{"transaction", id}});
    co_return;
  }
  std::optional<Reason> withdrawn;
  try {
    if (rules.basis) withdrawn = rules.basis->withdrawn(entry);
  } catch (const std::exception& e) {
    // A registry that cannot be read: the entry stays due and is tried again.
    logError("delivery-bookkeeping-failed", {{"transaction", id}, {"error", e.what()}});
    co_return;
  }
  if (withdrawn) {
    slot->release();
    const OutcomesBeingRecorded::Token recording(c.recording);
    if (c.stopping) co_return;
    c.metrics.delivery_attempts.inc({"withdrawn"});
    const auto record = [&rules, &entry, &withdrawn](std::function<void(bool)> done) {
      rules.basis->recordWithdrawal(entry, *withdrawn, std::move(done));
    };
    if (!co_await calledBack<bool>(record)) {
      logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "withdrawn"}});
    }
    co_return;
  }
  const DeliveryAttempt attempt = co_await attemptOnce(c, rules, due);
  slot->release();  // the next waiting entry continues here, on this thread
  const OutcomesBeingRecorded::Token recording(c.recording);
  // Not recorded when stopping: a failure now may be the shutdown itself. Due again at the
  // next start.
  if (c.stopping) co_return;
  try {
    const Recorded recorded = co_await recordOutcome(c, rules, entry, attempt);
    if (!recorded.ok) {
      logError(
          "delivery-bookkeeping-failed",
          {{"transaction", id}, {"outcome", attempt.delivered ? "delivered" : "failed"}, {"error", recorded.error}});
    }
  } catch (const std::exception& e) {
    // The store failed before the outcome was handed over: the entry stays due.
    logError("delivery-bookkeeping-failed", {{"transaction", id}, {"error", e.what()}});
  }
}

// Per recipient with deliveries due, how long its oldest due entry has waited (the metric
// an alert on a recipient that stopped taking messages reads).
void publishOldestDue(Core& c) {
  const std::int64_t now_ms = c.time.nowMs();
  std::map<std::vector<std::string>, std::int64_t> ages;
  for (const auto& [recipient, created] : c.outbox.oldestDuePerRecipient(now_ms)) {
    const auto queued = parseRfc3339(created);
    if (!queued) continue;
    const auto queued_ms = std::chrono::duration_cast<std::chrono::milliseconds>(queued->time_since_epoch()).count();
    ages[{recipient}] = std::max<std::int64_t>(0, (now_ms - queued_ms) / 1000);
  }
  c.metrics.outbox_oldest_due_age.replace(std::move(ages));
}

}  // namespace

std::chrono::milliseconds retryDelay(const OutboxSettings& s, std::uint32_t failed_attempts, std::mt19937_64& rng) {
  std::int64_t delay = s.initial_backoff.count();
  for (std::uint32_t i = 1; i < failed_attempts && delay < s.max_backoff.count(); ++i) delay *= 2;
  delay = std::min<std::int64_t>(delay, s.max_backoff.count());
  const std::int64_t low = delay / 2;
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(low, delay)(rng));
}

DeliveryWorker::DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox, const ExchangeAdapters& adapters,
                               GatewayMetrics& metrics, const DeliveryBasis* basis, const TimeSource& clock,
                               Executor on_network)
    : DeliveryWorker(
          [&config, basis] {
            return DeliveryRules{nullptr, &config, basis};
          },
          outbox, adapters, metrics, clock, std::move(on_network)) {}

DeliveryWorker::DeliveryWorker(CurrentDeliveryRules rules, OutboxStore& outbox, const ExchangeAdapters& adapters,
                               GatewayMetrics& metrics, const TimeSource& clock, Executor on_network)
    : core_(std::make_shared<Core>(std::move(rules), outbox, adapters, metrics, clock, std::move(on_network))) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  reader_ = std::thread([this] { readOutbox(); });
}

void DeliveryWorker::stop() {
  core_->stopping = true;
  wakeups_.close();
  core_->slots.close();  // the waiting entries end; they stay due
  if (reader_.joinable()) reader_.join();
  // Outcomes still being written resume their coroutines, which touch the outbox and metrics.
  core_->recording.waitForNone();
}

void DeliveryWorker::wake() {
  char signal = 0;
  wakeups_.push(signal);  // refused when a wake-up is pending already: one read serves both
}

void DeliveryWorker::submit(OutboxEntry entry, std::shared_ptr<const std::string> body) {
  if (entry.route != DeliveryRoute::kEndpoint || core_->stopping) return;
  if (core_->slots.waiting() >= kBatch) {
    wake();  // left in the outbox; the reader takes it when there is room
    return;
  }
  // A store that several nodes share leased the new entry to this node when it queued it,
  // until its first attempt's time plus the lease.
  if (const auto lease = core_->outbox.leaseDuration(); lease.count() > 0 && entry.lease.until_ms == 0) {
    entry.lease.until_ms = entry.next_attempt_ms + lease.count();
  }
  auto claim = EntriesInHand::take(core_->in_hand, entry.transaction_id, /*found_by_read=*/false);
  if (claim) deliver(core_, std::move(*claim), Due{std::move(entry), std::move(body)});
}

void DeliveryWorker::readOutbox() {
  Core& c = *core_;
  auto gauges_due = c.time.monotonicNow();
  std::vector<char> wakeup;
  // Reads when woken, or every kPollEvery when not (retries whose time has come); ends
  // when stop() closes the wake-ups.
  while (wakeups_.popBatch(wakeup, 1, kPollEvery, c.time)) {
    c.slots.waitForRoom(kBatch);
    if (c.stopping) break;
    // Entries in hand are due too and come back first; read past them.
    const std::size_t limit = c.in_hand->size() + kBatch;
    c.in_hand->readBegins();
    std::vector<OutboxEntry> due;
    try {
      due = c.outbox.due(c.time.nowMs(), limit);
      if (c.time.monotonicNow() >= gauges_due) {
        gauges_due = c.time.monotonicNow() + kGaugesEvery;
        for (DeliveryState state : {DeliveryState::kPending, DeliveryState::kPostbus, DeliveryState::kDeadLetter}) {
          c.metrics.outbox_entries.set({std::string(toString(state))},
                                       static_cast<std::int64_t>(c.outbox.count(state)));
        }
        publishOldestDue(c);
      }
    } catch (const std::exception& e) {
      logWarn("outbox-unreadable", {{"error", e.what()}});
    }
    // A full read may have left more behind: read again once there is room.
    if (due.size() >= limit) wake();
    for (auto& entry : due) {
      auto claim = EntriesInHand::take(c.in_hand, entry.transaction_id, /*found_by_read=*/true);
      if (!claim) continue;
      // The body is read here, on this thread, so that no network thread waits on the
      // database; one that is gone by now (delivered meanwhile) makes the attempt a
      // payload-missing failure.
      std::optional<std::string> body;
      try {
        body = c.outbox.body(entry.transaction_id);
      } catch (const std::exception& e) {
        logWarn("outbox-unreadable", {{"error", e.what()}});
        continue;
      }
      deliver(core_, std::move(*claim),
              Due{std::move(entry), body ? std::make_shared<const std::string>(std::move(*body)) : nullptr});
    }
  }
}

}  // namespace ketenpoort
