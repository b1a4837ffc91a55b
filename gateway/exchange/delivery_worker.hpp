#pragma once

#include "gateway/concurrency/batch_queue.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "gateway/calendar/time_source.hpp"
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

// Takes due outbox entries to their recipients' endpoints. A new entry is handed over
// directly (submit) once it is durable, with its body; an outbox reader thread reads the
// outbox for the rest (retries whose time has come, what was waiting at start-up, what
// did not fit in memory) every 200 ms or when woken. Deliveries are asynchronous on the
// channel (the gateway's network threads), at most `outbox/@workers` in flight at once;
// no thread waits on a recipient. Success marks the entry delivered and removes its body
// in one write; a failure schedules a retry (its time is durable in the outbox), until
// the last attempt puts the entry in dead-letter. An entry stays in hand until its
// outcome is durable, and is in hand at most once; after a crash, what was in flight is
// simply due again, and the receiver's idempotency check on the transaction id drops a
// repeat.
class DeliveryWorker {
 public:
  // With `basis`, every attempt first checks that the exchange's basis still holds; an
  // entry whose basis is gone is withdrawn (recorded, never delivered, body removed).
  DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox, const ExchangeAdapters& adapters,
                 GatewayMetrics& metrics, const DeliveryBasis* basis = nullptr, const TimeSource& clock = systemTime());
  ~DeliveryWorker();  // stops
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Takes nothing new; waits until every outcome handed to the outbox is durable. An
  // attempt still in the channel is left: its entry stays due for the next start. The
  // channel's network must be stopped, or every attempt answered, before the worker goes.
  void stop();
  // Something may be due in the outbox (read it now rather than at the next poll).
  void wake();
  // A new entry, durable in the outbox already: delivered without reading the outbox
  // back. When too many wait in memory, it is left to the next read.
  void submit(OutboxEntry entry, std::shared_ptr<const std::string> body = nullptr);

 private:
  // An entry to deliver, with its body (read from the outbox when it did not come along).
  struct Due {
    OutboxEntry entry;
    std::shared_ptr<const std::string> body;
  };
  void readOutbox();
  void wakeReader();
  // Starts queued entries while fewer than the limit are in flight.
  void pump();
  void attempt(const Due& due);
  // The channel's answer: the outcome goes to the outbox.
  void finish(const OutboxEntry& entry, const DeliveryAttempt& attempt);
  // The attempt ended without an outcome to write (stopping, registry unreadable): the
  // entry stays due.
  void release(const std::string& transaction_id);
  // The entry's outcome is durable (or could not be written): out of hand.
  void settle(const std::string& transaction_id);

  const GatewayConfig& config_;
  OutboxStore& outbox_;
  const ExchangeAdapters& adapters_;
  GatewayMetrics& metrics_;
  const DeliveryBasis* basis_;
  const TimeSource& clock_;  // when a retry is due

  std::mutex mutex_;
  std::condition_variable settled_;
  bool more_due_ = false;      // the outbox may hold due entries no read has taken yet
  bool pumping_ = false;       // a thread is in pump(); others leave the work to it
  std::size_t in_flight_ = 0;  // in the channel, answer not yet back
  std::size_t recording_ = 0;  // outcome handed to the outbox, not yet durable
  bool stopping_ = false;
  std::deque<Due> queue_;
  std::set<std::string> in_hand_;  // queued, in flight or being recorded
  // Entries finished since the reader's current read of the outbox began: that read may
  // still show them due (delivered or rescheduled after it looked), and taking them again
  // would deliver twice or dead-letter a delivered message.
  std::set<std::string> finished_during_read_;
  std::mt19937_64 rng_{std::random_device{}()};
  // Wake-ups for the reader (capacity one: wake-ups while one is pending coalesce); the
  // reader also reads every kPollEvery without one. Closed by stop().
  BatchQueue<char> wakeups_{1};
  std::thread reader_;
};

}  // namespace ketenpoort
