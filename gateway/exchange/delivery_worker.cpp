#include "gateway/exchange/delivery_worker.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

namespace {

// Entries waiting in memory for a worker, at most; beyond it they wait in the outbox
// until a read finds them.
constexpr std::size_t kBatch = 1024;
constexpr auto kPollEvery = std::chrono::milliseconds(200);
constexpr auto kGaugesEvery = std::chrono::seconds(1);

}  // namespace

std::chrono::milliseconds retryDelay(const OutboxSettings& s, std::uint32_t failed_attempts, std::mt19937_64& rng) {
  std::int64_t delay = s.initial_backoff.count();
  for (std::uint32_t i = 1; i < failed_attempts && delay < s.max_backoff.count(); ++i) delay *= 2;
  delay = std::min<std::int64_t>(delay, s.max_backoff.count());
  const std::int64_t low = delay / 2;
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(low, delay)(rng));
}

DeliveryWorker::DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox, const ExchangeAdapters& adapters,
                               GatewayMetrics& metrics, const DeliveryBasis* basis, const TimeSource& clock)
    : config_(config), outbox_(outbox), adapters_(adapters), metrics_(metrics), basis_(basis), clock_(clock) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  reader_ = std::thread([this] { readOutbox(); });
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !reader_.joinable()) return;
    stopping_ = true;
  }
  wakeups_.close();
  if (reader_.joinable()) reader_.join();
  // Outcomes still being written call back into this object.
  std::unique_lock lock(mutex_);
  settled_.wait(lock, [this] { return recording_ == 0; });
  queue_.clear();
}

void DeliveryWorker::wake() { wakeReader(); }

void DeliveryWorker::wakeReader() {
  char signal = 0;
  wakeups_.push(signal);  // refused when a wake-up is pending already: one read serves both
}

void DeliveryWorker::submit(OutboxEntry entry, std::shared_ptr<const std::string> body) {
  if (entry.route != DeliveryRoute::kEndpoint) return;
  // A store that several nodes share leased the new entry to this node when it queued it,
  // until its first attempt's time plus the lease.
  if (const auto lease = outbox_.leaseDuration(); lease.count() > 0 && entry.lease.until_ms == 0) {
    entry.lease.until_ms = entry.next_attempt_ms + lease.count();
  }
  bool left_in_outbox = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (queue_.size() >= kBatch) {
      // Left in the outbox; the reader takes it when there is room.
      more_due_ = true;
      left_in_outbox = true;
    } else if (in_hand_.insert(entry.transaction_id).second) {
      queue_.push_back({std::move(entry), std::move(body)});
    }
  }
  if (left_in_outbox) wakeReader();
  pump();
}

void DeliveryWorker::readOutbox() {
  auto gauges_due = clock_.monotonicNow();
  std::vector<char> wakeup;
  // Reads when woken, or every kPollEvery when not (retries whose time has come); ends
  // when stop() closes the wake-ups.
  while (wakeups_.popBatch(wakeup, 1, kPollEvery, clock_)) {
    std::unique_lock lock(mutex_);
    if (stopping_) break;
    const bool room = queue_.size() < kBatch;
    // Entries in hand are due too and come back first; read past them.
    const std::size_t limit = in_hand_.size() + kBatch;
    // What finished before this read is seen by it; what finishes during it may be read
    // in its old state and is skipped below (finished_during_read_).
    finished_during_read_.clear();
    lock.unlock();
    std::vector<OutboxEntry> due;
    try {
      if (room) due = outbox_.due(clock_.nowMs(), limit);
      if (clock_.monotonicNow() >= gauges_due) {
        gauges_due = clock_.monotonicNow() + kGaugesEvery;
        for (DeliveryState state : {DeliveryState::kPending, DeliveryState::kPostbus, DeliveryState::kDeadLetter}) {
          metrics_.outbox_entries.set({std::string(toString(state))}, static_cast<std::int64_t>(outbox_.count(state)));
        }
      }
    } catch (const std::exception& e) {
      logWarn("outbox-unreadable", {{"error", e.what()}});
    }
    lock.lock();
    // A full read may have left more behind: read again once the deliveries are through.
    more_due_ = room && due.size() >= limit;
    std::erase_if(due, [this](const OutboxEntry& e) { return in_hand_.contains(e.transaction_id); });
    lock.unlock();
    // The bodies are read here, on this thread, so that no network thread waits on the
    // database; one that is gone by now (delivered meanwhile) is skipped below.
    std::vector<Due> taken;
    taken.reserve(due.size());
    for (auto& entry : due) {
      std::optional<std::string> body;
      try {
        body = outbox_.body(entry.transaction_id);
      } catch (const std::exception& e) {
        logWarn("outbox-unreadable", {{"error", e.what()}});
        continue;
      }
      taken.push_back({std::move(entry), body ? std::make_shared<const std::string>(std::move(*body)) : nullptr});
    }
    lock.lock();
    std::size_t added = 0;
    for (auto& next : taken) {
      if (finished_during_read_.contains(next.entry.transaction_id)) continue;
      if (in_hand_.insert(next.entry.transaction_id).second) {
        queue_.push_back(std::move(next));
        ++added;
      }
    }
    if (added > 0) {
      lock.unlock();
      pump();
      lock.lock();
    }
  }
}

void DeliveryWorker::pump() {
  const std::size_t limit = std::max(1u, config_.outbox.workers);
  std::unique_lock lock(mutex_);
  // One thread starts attempts at a time; an attempt whose channel answers at once comes
  // back here and leaves the next start to the loop below (no recursion).
  if (pumping_) return;
  pumping_ = true;
  while (!stopping_ && in_flight_ < limit && !queue_.empty()) {
    Due due = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    attempt(due);
    lock.lock();
  }
  pumping_ = false;
}

void DeliveryWorker::release(const std::string& transaction_id) {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
    in_hand_.erase(transaction_id);
    finished_during_read_.insert(transaction_id);
  }
  pump();
}

void DeliveryWorker::settle(const std::string& transaction_id) {
  std::lock_guard lock(mutex_);
  in_hand_.erase(transaction_id);
  finished_during_read_.insert(transaction_id);
  --recording_;
  // Under the lock: stop() may return as soon as it can take the lock after the last
  // settle, and the worker (with these condition variables) may go right after. Only
  // whoever has reason to wake is woken (not the reader for every delivery).
  // Something may be waiting in the outbox that did not fit in memory.
  if (queue_.empty() && more_due_) wakeReader();
  if (stopping_) settled_.notify_all();
}

void DeliveryWorker::attempt(const Due& due) {
  const OutboxEntry& entry = due.entry;
  // An attempt must end within the lease: after it, another node may take the entry and
  // deliver it too. One that waited in memory too long is left for the next take.
  if (entry.lease.until_ms != 0 && clock_.nowMs() + config_.outbox.delivery_timeout.count() >= entry.lease.until_ms) {
    logWarn("delivery-lease-ended", {{"transaction", entry.transaction_id}});
    release(entry.transaction_id);
    return;
  }
  if (basis_) {
    std::optional<Reason> which;
    try {
      which = basis_->withdrawn(entry);
    } catch (const std::exception& e) {
      // A registry that cannot be read: the entry stays due and is tried again.
      logError("delivery-bookkeeping-failed", {{"transaction", entry.transaction_id}, {"error", e.what()}});
      release(entry.transaction_id);
      return;
    }
    if (which) {
      {
        std::lock_guard lock(mutex_);
        --in_flight_;
        ++recording_;
      }
      metrics_.delivery_attempts.inc({"withdrawn"});
      const std::string id = entry.transaction_id;
      basis_->recordWithdrawal(entry, *which, [this, id](bool ok) {
        if (!ok) {
          logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "withdrawn"}});
        }
        settle(id);
      });
      pump();
      return;
    }
  }
  const Party* recipient = config_.findPartyById(entry.recipient_party_id);
  const std::string url = recipient ? endpointFor(*recipient, entry.flow) : std::string();
  const auto format = recipient ? adapters_.outbound_by_role.find(recipient->role) : adapters_.outbound_by_role.end();
  if (url.empty() || format == adapters_.outbound_by_role.end() || !adapters_.channel) {
    finish(entry, {false, {}, Reason::kRecipientEndpointGone});  // the config changed since it was queued
  } else if (!due.body) {
    finish(entry, {false, {}, Reason::kPayloadMissing});
  } else {
    adapters_.channel->deliver(url, entry, format->second->contentType(), due.body,
                               [this, entry](const DeliveryAttempt& outcome) { finish(entry, outcome); });
  }
}

// The outcome is written in the background; the entry stays in hand (not taken again by
// a read) until its new state is written (the body goes in the same write).
void DeliveryWorker::finish(const OutboxEntry& entry, const DeliveryAttempt& attempt) {
  {
    std::lock_guard lock(mutex_);
    --in_flight_;
    if (stopping_) {
      // Not recorded: a failure now may be the shutdown itself. Due again at the next start.
      in_hand_.erase(entry.transaction_id);
      return;
    }
    ++recording_;
  }
  pump();
  const std::string& id = entry.transaction_id;
  const auto settled = [this, id](const char* what) {
    return [this, id, what](bool ok, const std::string& error) {
      if (!ok) logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", what}, {"error", error}});
      settle(id);
    };
  };
  try {
    if (attempt.delivered) {
      metrics_.delivery_attempts.inc({"delivered"});
      // Checked before the attempt; a basis that ended while the message was on its way
      // cannot be undone, but it is not hidden either.
      if (basis_) {
        try {
          if (const auto which = basis_->withdrawn(entry)) basis_->recordEndedDuringDelivery(entry, *which);
        } catch (const std::exception& e) {
          logError("delivery-bookkeeping-failed",
                   {{"transaction", id}, {"outcome", "basis-check"}, {"error", e.what()}});
        }
      }
      outbox_.markDelivered(entry, settled("delivered"));
      return;
    }
    const std::uint32_t failed = entry.attempts + 1;
    if (failed >= config_.outbox.max_attempts || attempt.failure == Reason::kPayloadMissing) {
      metrics_.delivery_attempts.inc({"dead-letter"});
      logError("delivery-dead-letter", {{"transaction", id},
                                        {"recipient", entry.recipient_party_id},
                                        {"attempts", failed},
                                        {"error", attempt.lastError()}});
      outbox_.recordFailure(entry, attempt.lastError(), std::nullopt, settled("dead-letter"));
      return;
    }
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mutex_);
      delay = retryDelay(config_.outbox, failed, rng_);
    }
    metrics_.delivery_attempts.inc({"failed"});
    logInfo("delivery-retry", {{"transaction", id},
                               {"recipient", entry.recipient_party_id},
                               {"attempt", failed},
                               {"retry_in_ms", delay.count()},
                               {"error", attempt.lastError()}});
    outbox_.recordFailure(entry, attempt.lastError(), clock_.nowMs() + delay.count(), settled("retry"));
  } catch (const std::exception& e) {
    // The store failed under us before the outcome was handed over: the entry stays due
    // and is tried again.
    logError("delivery-bookkeeping-failed", {{"transaction", id}, {"error", e.what()}});
    settle(id);
  }
}

}  // namespace ketenpoort
