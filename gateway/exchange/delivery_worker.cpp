#include "gateway/exchange/delivery_worker.hpp"

#include "gateway/diagnostics/diagnostic_log.hpp"

namespace ketenpoort {

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kBatch = 256;
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
                               PayloadStore& payloads, const ExchangeAdapters& adapters,
                               GatewayMetrics& metrics)
    : config_(config), outbox_(outbox), payloads_(payloads), adapters_(adapters), metrics_(metrics) {}

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
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
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
    // What finished before this read is seen by it; what finishes during it may be read
    // in its old state and is skipped below (finished_during_read_).
    finished_during_read_.clear();
    lock.unlock();
    std::vector<OutboxEntry> due;
    try {
      if (room) due = outbox_.due(nowMs(), kBatch + 64);
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
    std::size_t added = 0;
    for (auto& entry : due) {
      if (finished_during_read_.contains(entry.transaction_id)) continue;
      if (in_hand_.insert(entry.transaction_id).second) {
        queue_.push_back(std::move(entry));
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
    OutboxEntry entry = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    try {
      deliver(entry);
    } catch (const std::exception& e) {
      // The store failed under us: the entry stays due and is tried again.
      logError("delivery-bookkeeping-failed", {{"transaction", entry.transaction_id}, {"error", e.what()}});
    }
    lock.lock();
    in_hand_.erase(entry.transaction_id);
    finished_during_read_.insert(entry.transaction_id);
    // Something may have become due while this worker was busy.
    woken_ = woken_ || queue_.empty();
    wake_dispatcher_.notify_one();
  }
}

void DeliveryWorker::deliver(const OutboxEntry& entry) {
  const Party* recipient = config_.findPartyById(entry.recipient_party_id);
  const std::string url = recipient ? endpointFor(*recipient, entry.flow) : std::string();
  const auto format = recipient ? adapters_.outbound_by_role.find(recipient->role)
                                : adapters_.outbound_by_role.end();
  std::optional<std::string> body = payloads_.get(entry.transaction_id);
  DeliveryAttempt attempt;
  if (url.empty() || format == adapters_.outbound_by_role.end() || !adapters_.channel) {
    attempt.error = "recipient-endpoint-gone";  // the config changed since it was queued
  } else if (!body) {
    attempt.error = "payload-missing";
  } else {
    attempt = adapters_.channel->deliver(url, entry, format->second->contentType(), *body);
  }
  if (attempt.delivered) {
    outbox_.markDelivered(entry.transaction_id);
    payloads_.remove(entry.transaction_id);
    metrics_.delivery_attempts.inc({"delivered"});
    return;
  }
  const std::uint32_t failed = entry.attempts + 1;
  if (failed >= config_.outbox.max_attempts || attempt.error == "payload-missing") {
    outbox_.recordFailure(entry.transaction_id, attempt.error, std::nullopt);
    metrics_.delivery_attempts.inc({"dead-letter"});
    logError("delivery-dead-letter", {{"transaction", entry.transaction_id},
                                      {"recipient", entry.recipient_party_id},
                                      {"attempts", failed},
                                      {"error", attempt.error}});
    return;
  }
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    delay = retryDelay(config_.outbox, failed, rng_);
  }
  outbox_.recordFailure(entry.transaction_id, attempt.error, nowMs() + delay.count());
  metrics_.delivery_attempts.inc({"failed"});
  logInfo("delivery-retry", {{"transaction", entry.transaction_id},
                             {"recipient", entry.recipient_party_id},
                             {"attempt", failed},
                             {"retry_in_ms", delay.count()},
                             {"error", attempt.error}});
}

}  // namespace ketenpoort
