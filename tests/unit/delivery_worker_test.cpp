// The delivery worker against an outbox and a channel it does not know are fakes: the
// retry schedule, the limit on attempts in flight, a stop with an attempt still in the
// channel, and an entry finished while the reader was reading the outbox is not taken a
// second time from that (stale) read.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/diagnostics/metrics.hpp"
#include "gateway/exchange/delivery_worker.hpp"

namespace ketenpoort::testing {
namespace {

using namespace std::chrono_literals;

// Waits for a condition under the fake's mutex, at most `timeout`.
template <class Predicate>
bool waitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Predicate ready,
             std::chrono::milliseconds timeout = 5s) {
  return cv.wait_for(lock, timeout, ready);
}

// An outbox of pending entries in memory, with the store's rules for body and state.
class MemoryOutbox : public OutboxStore {
 public:
  void add(OutboxEntry entry) {
    std::lock_guard lock(mutex_);
    entries_[entry.transaction_id] = std::move(entry);
  }
  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    ++reads_;
    changed_.notify_all();
    std::vector<OutboxEntry> out;
    for (const auto& [id, e] : entries_) {
      if (e.state == DeliveryState::kPending && e.next_attempt_ms <= now_ms && out.size() < limit) {
        out.push_back(e);
      }
    }
    return out;
  }
  void recordFailure(const OutboxEntry& entry, const std::string&, std::optional<std::int64_t> retry_at_ms,
                     Done done) override {
    {
      std::lock_guard lock(mutex_);
      ++failures_;
      OutboxEntry& e = entries_[entry.transaction_id];
      e.attempts++;
      if (retry_at_ms) {
        e.next_attempt_ms = *retry_at_ms;
      } else {
        e.state = DeliveryState::kDeadLetter;
      }
      changed_.notify_all();
    }
    done(true, "");
  }
  bool waitForFailures(int n) {
    std::unique_lock lock(mutex_);
    return waitFor(changed_, lock, [&] { return failures_ >= n; });
  }
  void markDelivered(const OutboxEntry& entry, Done done) override {
    {
      std::lock_guard lock(mutex_);
      entries_[entry.transaction_id].state = DeliveryState::kDelivered;
      ++delivered_;
      changed_.notify_all();
    }
    done(true, "");
    std::lock_guard lock(mutex_);
    ++settled_;  // the worker's bookkeeping after the outcome is done
    changed_.notify_all();
  }
  void recordStep(const OutboxEntry& entry, const std::string& state, Done done) override {
    {
      std::lock_guard lock(mutex_);
      entries_[entry.transaction_id].channel_state = state;
    }
    done(true, "");
  }
  std::optional<std::string> body(const std::string& id) override {
    std::lock_guard lock(mutex_);
    if (entries_.at(id).state != DeliveryState::kPending) return std::nullopt;
    return std::string("{}");
  }
  std::vector<OutboxEntry> postbus(const std::string&, std::size_t) override { return {}; }
  bool acknowledge(const std::string&, const std::string&) override { return false; }
  std::optional<OutboxEntry> find(const std::string& id) override {
    std::lock_guard lock(mutex_);
    return entries_.at(id);
  }
  std::vector<OutboxEntry> list(const DeliveryQuery&) override { return {}; }
  std::uint64_t count(DeliveryState) override { return 0; }
  std::map<std::string, std::string> oldestDuePerRecipient(std::int64_t) override { return {}; }

  // Reads of the due entries begun. The worker takes what a read found before it begins
  // the next: once read n + 1 began, everything read n found has been attempted.
  int reads() {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  bool waitForReads(int n) {
    std::unique_lock lock(mutex_);
    return waitFor(changed_, lock, [&] { return reads_ >= n; });
  }
  bool waitForDelivered(int n) {
    std::unique_lock lock(mutex_);
    return waitFor(changed_, lock, [&] { return delivered_ >= n; });
  }
  int failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  DeliveryState state(const std::string& id) {
    std::lock_guard lock(mutex_);
    return entries_.at(id).state;
  }

 protected:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, OutboxEntry> entries_;
  int delivered_ = 0;
  int settled_ = 0;
  int failures_ = 0;
  int reads_ = 0;
};

// An outbox whose second read takes its snapshot, then waits until the entry it saw as
// pending has been delivered, and only then answers: the race a slow read meets.
class RacingOutbox : public MemoryOutbox {
 public:
  explicit RacingOutbox(const OutboxEntry& entry) { add(entry); }

  std::vector<OutboxEntry> due(std::int64_t now_ms, std::size_t limit) override {
    std::vector<OutboxEntry> snapshot = MemoryOutbox::due(now_ms, limit);
    std::unique_lock lock(mutex_);
    if (reads_ == 2 && !snapshot.empty()) {
      snapshot_taken_ = true;
      changed_.notify_all();
      // Answers only once the worker has delivered the entry and done its bookkeeping.
      waitFor(changed_, lock, [&] { return settled_ > 0; });
    }
    return snapshot;
  }

  void waitForSnapshot() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(waitFor(changed_, lock, [&] { return snapshot_taken_; }));
  }

 private:
  bool snapshot_taken_ = false;
};

class JsonFormat : public OutboundFormat {
 public:
  std::string_view contentType() const override { return "application/json"; }
  std::string render(const OutboundMessage&) const override { return "{}"; }
};

// Accepts every message; the answer to the first holds until the outbox's racing read
// has begun (on a thread of its own, as a network answer would come).
class HeldChannel : public DeliveryChannel {
 public:
  explicit HeldChannel(RacingOutbox& outbox) : outbox_(outbox) {}
  ~HeldChannel() override { join(); }
  void deliver(const std::string&, const OutboxEntry&, std::string_view, std::shared_ptr<const std::string>,
               Done done) override {
    std::lock_guard lock(mutex_);
    ++calls_;
    in_channel_.notify_all();
    answers_.emplace_back([this, done = std::move(done)] {
      outbox_.waitForSnapshot();
      done({true, ""});
    });
  }
  void waitUntilCalled() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(waitFor(in_channel_, lock, [&] { return calls_ > 0; }));
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  void join() {
    std::vector<std::thread> answers;
    {
      std::lock_guard lock(mutex_);
      answers.swap(answers_);
    }
    for (auto& t : answers) t.join();
  }

 private:
  RacingOutbox& outbox_;
  std::mutex mutex_;
  std::condition_variable in_channel_;
  int calls_ = 0;
  std::vector<std::thread> answers_;
};

TEST(DeliveryWorker, AnEntryFinishedDuringTheOutboxReadIsNotTakenAgain) {
  GatewayConfig config;
  config.outbox.workers = 2;
  config.parties.push_back({"gemeente-0363",
                            *Oin::parse("00000099200000000363"),
                            "Amsterdam",
                            PartyRole::kGemeente,
                            "0363",
                            std::nullopt,
                            {{"*", "https://127.0.0.1:1/berichten"}},
                            {}});
  OutboxEntry entry;
  entry.transaction_id = "01a2047b-c927-7f02-9beb-904f99c6aa73";
  entry.flow = "coa.klantprofiel";
  entry.recipient_party_id = "gemeente-0363";
  RacingOutbox outbox(entry);
  ExchangeAdapters adapters;
  adapters.outbound_by_role[PartyRole::kGemeente] = std::make_shared<JsonFormat>();
  auto channel = std::make_shared<HeldChannel>(outbox);
  adapters.channel = channel;
  GatewayMetrics metrics;

  DeliveryWorker worker(config, outbox, adapters, metrics);
  worker.start();
  worker.wake();
  channel->waitUntilCalled();
  worker.wake();  // the second read starts while the first delivery is in the channel
  outbox.waitForSnapshot();
  // Give a wrongly re-queued entry every chance to be taken: the racing read (the second)
  // and two polls after it (the reader polls every 200 ms) have been acted on.
  ASSERT_TRUE(outbox.waitForReads(5));
  channel->join();
  worker.stop();

  EXPECT_EQ(channel->calls(), 1);
  EXPECT_EQ(outbox.failures(), 0) << "a delivered message was taken again (payload-missing)";
  EXPECT_EQ(metrics.delivery_attempts.value({"delivered"}), 1u);
  EXPECT_EQ(metrics.delivery_attempts.value({"dead-letter"}), 0u);
}

// Answers every attempt from a thread of its own after `delay` (or, with hold, only when
// released), and counts how many were in the channel at once.
class TimedChannel : public DeliveryChannel {
 public:
  explicit TimedChannel(std::chrono::milliseconds delay, bool hold = false) : delay_(delay), hold_(hold) {}
  ~TimedChannel() override { join(); }
  void deliver(const std::string&, const OutboxEntry&, std::string_view, std::shared_ptr<const std::string> body,
               Done done) override {
    std::lock_guard lock(mutex_);
    if (!body) ++without_body_;
    most_at_once_ = std::max(most_at_once_, ++in_channel_);
    changed_.notify_all();
    answers_.emplace_back([this, done = std::move(done)] {
      {
        std::unique_lock wait(mutex_);
        if (hold_) {
          changed_.wait(wait, [&] { return released_; });
        }
      }
      systemTime().pause(delay_);  // the recipient's time to answer
      {
        std::lock_guard answered(mutex_);
        --in_channel_;
      }
      done({!hold_, hold_ ? "cancelled" : ""});
    });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  bool waitUntilInChannel(int n) {
    std::unique_lock lock(mutex_);
    return waitFor(changed_, lock, [&] { return in_channel_ >= n; });
  }
  void join() {
    for (;;) {
      std::vector<std::thread> answers;
      {
        std::lock_guard lock(mutex_);
        answers.swap(answers_);
      }
      if (answers.empty()) return;
      for (auto& t : answers) t.join();
    }
  }
  int mostAtOnce() {
    std::lock_guard lock(mutex_);
    return most_at_once_;
  }
  int withoutBody() {
    std::lock_guard lock(mutex_);
    return without_body_;
  }

 private:
  std::chrono::milliseconds delay_;
  bool hold_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int in_channel_ = 0;
  int most_at_once_ = 0;
  int without_body_ = 0;
  bool released_ = false;
  std::vector<std::thread> answers_;
};

// Refuses the first `failures` attempts (as a receiver answering 503), then accepts; answers
// on the caller's thread.
class FlakyChannel : public DeliveryChannel {
 public:
  explicit FlakyChannel(int failures) : failures_left_(failures) {}
  void deliver(const std::string&, const OutboxEntry&, std::string_view, std::shared_ptr<const std::string>,
               Done done) override {
    bool fail = false;
    {
      std::lock_guard lock(mutex_);
      ++calls_;
      fail = failures_left_ > 0;
      if (fail) --failures_left_;
    }
    done({!fail, fail ? "http-503" : ""});
  }
  int calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  int failures_left_;
  int calls_ = 0;
};

struct WorkerSetup {
  WorkerSetup() {
    config.parties.push_back({"gemeente-0363",
                              *Oin::parse("00000099200000000363"),
                              "Amsterdam",
                              PartyRole::kGemeente,
                              "0363",
                              std::nullopt,
                              {{"*", "https://127.0.0.1:1/berichten"}},
                              {}});
    adapters.outbound_by_role[PartyRole::kGemeente] = std::make_shared<JsonFormat>();
  }
  OutboxEntry entry(int i) const {
    OutboxEntry e;
    e.transaction_id = "01a2047b-c927-7f02-9beb-" + std::to_string(100000000000 + i);
    e.flow = "coa.klantprofiel";
    e.recipient_party_id = "gemeente-0363";
    return e;
  }
  GatewayConfig config;
  ExchangeAdapters adapters;
  GatewayMetrics metrics;
};

TEST(DeliveryWorker, NoMoreThanTheConfiguredNumberAreInTheChannelAtOnce) {
  WorkerSetup setup;
  setup.config.outbox.workers = 3;
  MemoryOutbox outbox;
  auto channel = std::make_shared<TimedChannel>(5ms);
  setup.adapters.channel = channel;
  constexpr int kEntries = 40;
  DeliveryWorker worker(setup.config, outbox, setup.adapters, setup.metrics);
  worker.start();
  for (int i = 0; i < kEntries; ++i) {
    outbox.add(setup.entry(i));
    // Half come along with their body, half are read back from the outbox.
    if (i % 2 == 0) worker.submit(setup.entry(i), std::make_shared<const std::string>("{}"));
  }
  worker.wake();
  EXPECT_TRUE(outbox.waitForDelivered(kEntries));
  channel->join();
  worker.stop();
  EXPECT_EQ(setup.metrics.delivery_attempts.value({"delivered"}), static_cast<std::uint64_t>(kEntries));
  EXPECT_LE(channel->mostAtOnce(), 3);
  EXPECT_GE(channel->mostAtOnce(), 2) << "deliveries ran one at a time";
  EXPECT_EQ(channel->withoutBody(), 0);
  EXPECT_EQ(outbox.failures(), 0);
}

TEST(DeliveryWorker, AnAttemptStillInTheChannelAtStopStaysDueAndIsNotCountedAsFailed) {
  WorkerSetup setup;
  MemoryOutbox outbox;
  auto channel = std::make_shared<TimedChannel>(0ms, /*hold=*/true);
  setup.adapters.channel = channel;
  DeliveryWorker worker(setup.config, outbox, setup.adapters, setup.metrics);
  worker.start();
  outbox.add(setup.entry(1));
  worker.submit(setup.entry(1), std::make_shared<const std::string>("{}"));
  ASSERT_TRUE(channel->waitUntilInChannel(1));
  worker.stop();
  channel->release();  // the shutdown cut the connection
  channel->join();
  EXPECT_EQ(outbox.failures(), 0);
  EXPECT_EQ(outbox.state(setup.entry(1).transaction_id), DeliveryState::kPending);
}

TEST(DeliveryWorker, ARetryWaitsForItsTimeOnTheClockNotForAThread) {
  WorkerSetup setup;
  setup.config.outbox.initial_backoff = std::chrono::minutes(10);
  setup.config.outbox.max_backoff = std::chrono::minutes(10);
  setup.config.outbox.max_attempts = 5;
  SimulatedTime clock;
  MemoryOutbox outbox;
  auto channel = std::make_shared<FlakyChannel>(1);
  setup.adapters.channel = channel;
  DeliveryWorker worker(setup.config, outbox, setup.adapters, setup.metrics, nullptr, clock);
  worker.start();
  outbox.add(setup.entry(1));
  worker.submit(setup.entry(1), std::make_shared<const std::string>("{}"));
  ASSERT_TRUE(outbox.waitForFailures(1));
  // However often the outbox is read, the retry is not due while the clock stands still.
  const auto readTwice = [&] {
    for (int i = 0; i < 2; ++i) {
      const int read = outbox.reads();
      worker.wake();
      ASSERT_TRUE(outbox.waitForReads(read + 1));
    }
  };
  for (int i = 0; i < 3; ++i) readTwice();
  EXPECT_EQ(channel->calls(), 1);
  // Four minutes on: still within the backoff (at least five of its ten minutes).
  clock.advance(std::chrono::minutes(4));
  readTwice();
  EXPECT_EQ(channel->calls(), 1);
  // Past the backoff: due, taken and delivered.
  clock.advance(std::chrono::minutes(7));
  worker.wake();
  EXPECT_TRUE(outbox.waitForDelivered(1));
  worker.stop();
  EXPECT_EQ(channel->calls(), 2);
  EXPECT_EQ(outbox.failures(), 1);
}

// An outbox several nodes share: entries are leased (ADR 0016).
class LeasingOutbox : public MemoryOutbox {
 public:
  std::chrono::milliseconds leaseDuration() const override { return std::chrono::minutes(1); }
};

TEST(DeliveryWorker, AnEntryWhoseLeaseEndsBeforeItsAttemptCouldIsLeftForTheNextTake) {
  WorkerSetup setup;
  setup.config.outbox.delivery_timeout = std::chrono::seconds(10);
  SimulatedTime clock;
  LeasingOutbox outbox;
  auto channel = std::make_shared<FlakyChannel>(0);
  setup.adapters.channel = channel;
  DeliveryWorker worker(setup.config, outbox, setup.adapters, setup.metrics, nullptr, clock);
  worker.start();
  // Queued 55 s ago: its lease (a minute from its first attempt's time) has 5 s left,
  // less than an attempt may take. Another node may take it before the answer comes.
  OutboxEntry late = setup.entry(1);
  late.next_attempt_ms = clock.nowMs() - 55'000;
  late.state = DeliveryState::kDelivered;  // not for the outbox's own reads: only this submit
  outbox.add(late);
  worker.submit(late, std::make_shared<const std::string>("{}"));
  // Queued just now: delivered.
  OutboxEntry fresh = setup.entry(2);
  fresh.next_attempt_ms = clock.nowMs();
  outbox.add(fresh);
  worker.submit(fresh, std::make_shared<const std::string>("{}"));
  ASSERT_TRUE(outbox.waitForDelivered(1));
  worker.stop();
  EXPECT_EQ(channel->calls(), 1);
  EXPECT_EQ(outbox.failures(), 0);
}

// A network of one thread: tasks run in order; a task handed over on that thread runs at
// once (as Asio's dispatch does). Counts the tasks that had to cross to it.
class OneThreadNetwork {
 public:
  OneThreadNetwork() : thread_([this] { run(); }) {}
  ~OneThreadNetwork() {
    tasks_.close();
    thread_.join();
  }
  Executor executor() {
    return [this](std::function<void()> task) {
      if (std::this_thread::get_id() == thread_.get_id()) {
        task();
        return;
      }
      crossings_.fetch_add(1);
      ASSERT_TRUE(tasks_.push(task));
    };
  }
  bool onIt() const { return std::this_thread::get_id() == thread_.get_id(); }
  int crossings() const { return crossings_.load(); }

 private:
  void run() {
    std::vector<std::function<void()>> batch;
    while (tasks_.popBatch(batch, 16, std::chrono::seconds(1))) {
      for (auto& task : batch) task();
    }
  }
  BatchQueue<std::function<void()>> tasks_{1024};
  std::atomic<int> crossings_{0};
  std::thread thread_;
};

// Answers at once, noting whether it was asked on the network's thread.
class NetworkCheckingChannel : public DeliveryChannel {
 public:
  explicit NetworkCheckingChannel(const OneThreadNetwork& network) : network_(network) {}
  void deliver(const std::string&, const OutboxEntry&, std::string_view, std::shared_ptr<const std::string>,
               Done done) override {
    (network_.onIt() ? on_network_ : elsewhere_).fetch_add(1);
    done({true, ""});
  }
  std::atomic<int> on_network_{0};
  std::atomic<int> elsewhere_{0};

 private:
  const OneThreadNetwork& network_;
};

// A delivery is one coroutine that goes to the network once: an entry submitted on the
// writer's thread crosses to it in one hand-off; one submitted on a network thread (after a
// durable write, where the request continues) starts there without any.
TEST(DeliveryWorker, AnEntryReachesTheChannelOnTheNetworkInAtMostOneHandOff) {
  WorkerSetup setup;
  MemoryOutbox outbox;
  OneThreadNetwork network;
  auto channel = std::make_shared<NetworkCheckingChannel>(network);
  setup.adapters.channel = channel;
  DeliveryWorker worker(setup.config, outbox, setup.adapters, setup.metrics, nullptr, systemTime(), network.executor());
  outbox.add(setup.entry(1));
  worker.submit(setup.entry(1), std::make_shared<const std::string>("{}"));  // this thread: the writer's
  ASSERT_TRUE(outbox.waitForDelivered(1));
  EXPECT_EQ(network.crossings(), 1);
  outbox.add(setup.entry(2));
  network.executor()([&] { worker.submit(setup.entry(2), std::make_shared<const std::string>("{}")); });
  ASSERT_TRUE(outbox.waitForDelivered(2));
  EXPECT_EQ(network.crossings(), 2) << "only the test's own hand-off to the network";
  worker.stop();
  EXPECT_EQ(channel->on_network_.load(), 2);
  EXPECT_EQ(channel->elsewhere_.load(), 0);
}

TEST(DeliveryWorker, RetryDelayDoublesWithJitterUpToTheCap) {
  OutboxSettings s;
  s.initial_backoff = 100ms;
  s.max_backoff = 1000ms;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) {
    const auto first = retryDelay(s, 1, rng);
    EXPECT_GE(first, 50ms);
    EXPECT_LE(first, 100ms);
    const auto third = retryDelay(s, 3, rng);
    EXPECT_GE(third, 200ms);
    EXPECT_LE(third, 400ms);
    const auto late = retryDelay(s, 30, rng);
    EXPECT_GE(late, 500ms);
    EXPECT_LE(late, 1000ms);
  }
}

}  // namespace
}  // namespace ketenpoort::testing
