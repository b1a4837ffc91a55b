#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

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

// Takes due outbox entries to their recipients' endpoints. A new entry is handed to the
// worker threads directly (submit) once it is durable; a dispatcher thread reads the
// outbox for the rest (retries whose time has come, what was waiting at start-up, what
// did not fit in memory) every 200 ms or when woken. Success marks the entry delivered
// and removes its body in one write; a failure schedules a retry, until the last attempt puts
// the entry in dead-letter. Outcomes are written in the background, so a worker goes on
// to the next entry at once; an entry stays in hand until its outcome is durable. An
// entry is in at most one worker's hands; after a crash, what was in flight is simply due
// again, and the receiver's idempotency check on the transaction id drops a repeat.
class DeliveryWorker {
 public:
  // With `basis`, every attempt first checks that the exchange's basis still holds; an
  // entry whose basis is gone is withdrawn (recorded, never delivered, body removed).
  DeliveryWorker(const GatewayConfig& config, OutboxStore& outbox,
                 const ExchangeAdapters& adapters, GatewayMetrics& metrics,
                 const DeliveryBasis* basis = nullptr);
  ~DeliveryWorker();  // stops
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  void stop();
  // Something may be due in the outbox (read it now rather than at the next poll).
  void wake();
  // A new entry, durable in the outbox already: handed to a worker without reading the
  // outbox back. When too many wait in memory, it is left to the next read.
  void submit(OutboxEntry entry, std::shared_ptr<const std::string> body = nullptr);

 private:
  void dispatch();
  void work();
  // An entry to deliver, with its body when it came along (else read from the outbox).
  struct Due {
    OutboxEntry entry;
    std::shared_ptr<const std::string> body;
  };
  void deliver(const Due& due);
  // The entry's outcome is durable (or could not be written): out of hand.
  void settle(const std::string& transaction_id);

  const GatewayConfig& config_;
  OutboxStore& outbox_;
  const ExchangeAdapters& adapters_;
  GatewayMetrics& metrics_;
  const DeliveryBasis* basis_;

  std::mutex mutex_;
  std::condition_variable wake_dispatcher_;
  std::condition_variable wake_workers_;
  std::condition_variable settled_;
  bool woken_ = false;
  bool more_due_ = false;      // the outbox may hold due entries no read has taken yet
  std::size_t unsettled_ = 0;  // taken by a worker, outcome not yet durable
  bool stopping_ = false;
  std::deque<Due> queue_;
  std::set<std::string> in_hand_;  // queued or being delivered
  // Entries a worker finished since the dispatcher's current read of the outbox began:
  // that read may still show them due (delivered or rescheduled after it looked), and
  // taking them again would deliver twice or dead-letter a delivered message.
  std::set<std::string> finished_during_read_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace ketenpoort
