#pragma once

#include "gateway/concurrency/batch_queue.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "gateway/calendar/time_source.hpp"
#include "gateway/concurrency/resumption.hpp"
#include "gateway/config/gateway_config.hpp"
#include "gateway/diagnostics/metrics.hpp"
#include "gateway/exchange/delivery_basis.hpp"
#include "gateway/exchange/exchange_adapters.hpp"
#include "gateway/store/outbox.hpp"

namespace ketenpoort {

// The delay before attempt n+1 after n failed ones: initial · 2^(n-1), capped, with
// "full jitter" in its upper half so receivers coming back are not hit by every gateway
// worker at the same instant.
std::chrono::milliseconds retryDelay(const OutboxSettings& settings, std::uint32_t failed_attempts,
                                     std::mt19937_64& rng);

// What delivery decides on, from the configuration in force when an attempt begins: the
// recipients' endpoints, the outbox's limits and the basis check (null: none). A reload
// replaces it; an attempt under way finishes on the one it began with (`owner` keeps
// what the pointers point into alive).
struct DeliveryRules {
  std::shared_ptr<const void> owner;
  const GatewayConfig* config = nullptr;
  const DeliveryBasis* basis = nullptr;
};
using CurrentDeliveryRules = std::function<DeliveryRules()>;

// Takes due outbox entries to their recipients' endpoints: each one a coroutine that
// reads top-down — on to the network, a slot (at most `outbox/@workers` in the channel at
// once), the basis still holds, the attempt, its outcome recorded — and holds the entry
// until that outcome is durable, so it is in hand at most once. A new entry is handed over
// directly (submit) once it is durable, with its body; an outbox reader thread reads the
// outbox for the rest (retries whose time has come, what was waiting at start-up, what did
// not fit in memory) every 200 ms or when woken. No thread waits on a recipient. Success
// marks the entry delivered and removes its body in one write; a failure schedules a retry
// (its time is durable in the outbox), until the last attempt puts the entry in
// dead-letter. After a crash, what was in flight is simply due again, and the receiver's
// idempotency check on the transaction id drops a repeat.
class DeliveryWorker {
 public:
  // With `basis`, every attempt first checks that the exchange's basis still holds; an
  // entry whose basis is gone is withdrawn (recorded, never delivered, body removed).
  // `on_network` runs a task on a network thread: at once when called on one (so an entry
  // submitted there starts without a hand-off), else posted. Without it, where it is.
  DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox, const ExchangeAdapters& adapters,
                 GatewayMetrics& metrics, const DeliveryBasis* basis = nullptr, const TimeSource& clock = systemTime(),
                 Executor on_network = nullptr);
  // The same on rules that a reload replaces: asked at the start of every attempt. The
  // number of workers is the first rules' (a change takes a restart).
  DeliveryWorker(CurrentDeliveryRules rules, OutboxStore& outbox, const ExchangeAdapters& adapters,
                 GatewayMetrics& metrics, const TimeSource& clock, Executor on_network);
  ~DeliveryWorker();  // stops
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Takes nothing new; waits until every outcome handed to the outbox is durable. An
  // attempt still in the channel is left: its entry stays due for the next start, and its
  // answer, should it still come, changes nothing.
  void stop();
  // Something may be due in the outbox (read it now rather than at the next poll).
  void wake();
  // A new entry, durable in the outbox already: delivered without reading the outbox
  // back. When too many wait for a slot, it is left to the next read.
  void submit(OutboxEntry entry, std::shared_ptr<const std::string> body = nullptr);

  // What the coroutines share with the reader and the worker (they may outlive it:
  // an answer from the channel after stop finds it stopping).
  struct Core;

 private:
  void readOutbox();

  std::shared_ptr<Core> core_;
  // Wake-ups for the reader (capacity one: wake-ups while one is pending coalesce); the
  // reader also reads every kPollEvery without one. Closed by stop().
  BatchQueue<char> wakeups_{1};
  std::thread reader_;
};

}  // namespace ketenpoort
