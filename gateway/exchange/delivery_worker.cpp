#include "gateway/exchange/delivery_worker.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Entries waiting in memory for a worker, at most; beyond it they wait in the outbox
// until a read finds them.
constexpr std::size_t kBatch = 1024;
constexpr auto kPollEvery = std::chrono::milliseconds(200);
constexpr auto kGaugesEvery = std::chrono::seconds(1);

}  // namespace

std::chrono::milliseconds retryDelay(const OutboxSettings& s, std::uint32_t failed_attempts,
                                     std::mt19937_64& rng) {
  std::int64_t delay = s.initial_backoff.count();
  for (std::uint32_t i = 1; i < failed_attempts && delay < s.max_backoff.count(); ++i) delay *= 2;
  delay = std::min<std::int64_t>(delay, s.max_backoff.count());
  const std::int64_t low = delay / 2;
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(low, delay)(rng));
}

DeliveryWorker::DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox,
                               const ExchangeAdapters& adapters,
                               GatewayMetrics& metrics, const DeliveryBasis* basis)
    : config_(config),
      outbox_(outbox),
      adapters_(adapters),
      metrics_(metrics),
      basis_(basis) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  dispatcher_ = std::thread([this] { dispatch(); });
  for (unsigned i = 0; i < std::max(1u, config_.outbox.workers); ++i) {
    workers_.emplace_back([this] { work(); });
  }
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !dispatcher_.joinable()) return;
    stopping_ = true;
  }
  wake_dispatcher_.notify_all();
  wake_workers_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  // Outcomes still being written call back into this object.
  std::unique_lock lock(mutex_);
  settled_.wait(lock, [this] { return unsettled_ == 0; });
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_dispatcher_.notify_one();
}

void DeliveryWorker::submit(OutboxEntry entry, std::shared_ptr<const std::string> body) {
  if (entry.route != DeliveryRoute::kEndpoint) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (queue_.size() >= kBatch) {
      // Left in the outbox; the dispatcher reads it when there is room.
      woken_ = true;
      more_due_ = true;
    } else if (in_hand_.insert(entry.transaction_id).second) {
      queue_.push_back({std::move(entry), std::move(body)});
      wake_workers_.notify_one();
      return;
    } else {
      return;
    }
  }
  wake_dispatcher_.notify_one();
}

void DeliveryWorker::dispatch() {
  auto gauges_due = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_dispatcher_.wait_for(lock, kPollEvery, [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    const bool room = queue_.size() < kBatch;
    // Entries in hand are due too and come back first; read past them.
    const std::size_t limit = in_hand_.size() + kBatch;
    // What finished before this read is seen by it; what finishes during it may be read
    // in its old state and is skipped below (finished_during_read_).
    finished_during_read_.clear();
    lock.unlock();
    std::vector<OutboxEntry> due;
    try {
      if (room) due = outbox_.due(nowMs(), limit);
      if (std::chrono::steady_clock::now() >= gauges_due) {
        gauges_due = std::chrono::steady_clock::now() + kGaugesEvery;
        for (DeliveryState state : {DeliveryState::kPending, DeliveryState::kPostbus, DeliveryState::kDeadLetter}) {
          metrics_.outbox_entries.set({std::string(toString(state))},
                                      static_cast<std::int64_t>(outbox_.count(state)));
        }
      }
    } catch (const std::exception& e) {
      logWarn("outbox-unreadable", {{"error", e.what()}});
    }
    lock.lock();
    // A full read may have left more behind: read again once the workers are through.
    more_due_ = room && due.size() >= limit;
    std::size_t added = 0;
    for (auto& entry : due) {
      if (finished_during_read_.contains(entry.transaction_id)) continue;
      if (in_hand_.insert(entry.transaction_id).second) {
        queue_.push_back({std::move(entry), nullptr});
        ++added;
      }
    }
    if (added > 0) wake_workers_.notify_all();
  }
}

void DeliveryWorker::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_workers_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Due due = std::move(queue_.front());
    queue_.pop_front();
    ++unsettled_;
    lock.unlock();
    try {
      deliver(due);
    } catch (const std::exception& e) {
      // The store failed under us before the outcome was handed over: the entry stays
      // due and is tried again.
      logError("delivery-bookkeeping-failed", {{"transaction", due.entry.transaction_id}, {"error", e.what()}});
      settle(due.entry.transaction_id);
    }
    lock.lock();
  }
}

void DeliveryWorker::settle(const std::string& transaction_id) {
  {
    std::lock_guard lock(mutex_);
    in_hand_.erase(transaction_id);
    finished_during_read_.insert(transaction_id);
    --unsettled_;
    // Something may be waiting in the outbox that did not fit in memory.
    if (queue_.empty() && more_due_) woken_ = true;
  }
  wake_dispatcher_.notify_one();
  settled_.notify_all();
}

// The outcome is written in the background; the entry stays in hand (not taken again by
// a read) until its new state is written (the body goes in the same write).
void DeliveryWorker::deliver(const Due& due) {
  const OutboxEntry& entry = due.entry;
  if (basis_) {
    // A registry that cannot be read throws: the entry stays due (work() settles it).
    if (const auto which = basis_->withdrawn(entry)) {
      metrics_.delivery_attempts.inc({"withdrawn"});
      const std::string id = entry.transaction_id;
      basis_->recordWithdrawal(entry, *which, [this, id](bool ok) {
        if (!ok) {
          logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", "withdrawn"}});
        }
        settle(id);
      });
      return;
    }
  }
  const Party* recipient = config_.findPartyById(entry.recipient_party_id);
  const std::string url = recipient ? endpointFor(*recipient, entry.flow) : std::string();
  const auto format = recipient ? adapters_.outbound_by_role.find(recipient->role)
                                : adapters_.outbound_by_role.end();
  // A new entry's body came along; a retry's or a recovered one's is read back.
  std::optional<std::string> body = due.body ? std::optional<std::string>(*due.body) : outbox_.body(entry.transaction_id);
  DeliveryAttempt attempt;
  if (url.empty() || format == adapters_.outbound_by_role.end() || !adapters_.channel) {
    attempt.error = "recipient-endpoint-gone";  // the config changed since it was queued
  } else if (!body) {
    attempt.error = "payload-missing";
  } else {
    attempt = adapters_.channel->deliver(url, entry, format->second->contentType(), *body);
  }
  const std::string id = entry.transaction_id;
  const auto settled = [this, id](const char* what) {
    return [this, id, what](bool ok, const std::string& error) {
      if (!ok) logError("delivery-bookkeeping-failed", {{"transaction", id}, {"outcome", what}, {"error", error}});
      settle(id);
    };
  };
  if (attempt.delivered) {
    metrics_.delivery_attempts.inc({"delivered"});
    outbox_.markDelivered(id, settled("delivered"));
    return;
  }
  const std::uint32_t failed = entry.attempts + 1;
  if (failed >= config_.outbox.max_attempts || attempt.error == "payload-missing") {
    metrics_.delivery_attempts.inc({"dead-letter"});
    logError("delivery-dead-letter", {{"transaction", id},
                                      {"recipient", entry.recipient_party_id},
                                      {"attempts", failed},
                                      {"error", attempt.error}});
    outbox_.recordFailure(id, attempt.error, std::nullopt, settled("dead-letter"));
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
                             {"error", attempt.error}});
  outbox_.recordFailure(id, attempt.error, nowMs() + delay.count(), settled("retry"));
}

}  // namespace ketenpoort
