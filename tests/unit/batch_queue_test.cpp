#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include "gateway/concurrency/batch_queue.hpp"

namespace ketenpoort {
namespace {

using std::chrono::milliseconds;

TEST(BatchQueue, RefusesWhenFullAndLeavesTheItemToTheCaller) {
  BatchQueue<std::string> queue(2);
  std::string a = "a", b = "b", c = "c";
  EXPECT_TRUE(queue.push(a));
  EXPECT_TRUE(queue.push(b));
  EXPECT_FALSE(queue.push(c));
  EXPECT_EQ(c, "c");  // not moved from: the caller refuses it
  EXPECT_EQ(queue.size(), 2u);
}

TEST(BatchQueue, HandsOutBatchesOfAtMostMaxInOrder) {
  BatchQueue<int> queue(10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue.push(i));
  std::vector<int> batch;
  EXPECT_TRUE(queue.popBatch(batch, 3, milliseconds(0)));
  EXPECT_EQ(batch, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(queue.popBatch(batch, 3, milliseconds(0)));
  EXPECT_EQ(batch, (std::vector<int>{3, 4}));
  // Nothing queued: an empty batch once the wait is over.
  EXPECT_TRUE(queue.popBatch(batch, 3, milliseconds(1)));
  EXPECT_TRUE(batch.empty());
}

TEST(BatchQueue, AfterCloseTheRestIsStillTakenAndTheLastBatchSaysSo) {
  BatchQueue<int> queue(10);
  int one = 1, two = 2, three = 3;
  ASSERT_TRUE(queue.push(one));
  ASSERT_TRUE(queue.push(two));
  queue.close();
  EXPECT_FALSE(queue.push(three));
  std::vector<int> batch;
  EXPECT_TRUE(queue.popBatch(batch, 1, milliseconds(0)));  // one more remains
  EXPECT_EQ(batch, std::vector<int>{1});
  EXPECT_FALSE(queue.popBatch(batch, 1, milliseconds(0)));  // the last
  EXPECT_EQ(batch, std::vector<int>{2});
}

TEST(BatchQueue, CloseWakesAWaitingConsumer) {
  BatchQueue<int> queue(10);
  std::thread consumer([&] {
    std::vector<int> batch;
    while (queue.popBatch(batch, 10, std::chrono::hours(1))) {
    }
  });
  queue.close();
  consumer.join();  // hangs (and times out) if close did not wake it
}

TEST(BatchQueue, DrainedOnlyOnceTheConsumerFinishedItsBatch) {
  BatchQueue<int> queue(10);
  std::atomic<int> written{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread consumer([&] {
    std::vector<int> batch;
    for (bool more = true; more;) {
      more = queue.popBatch(batch, 10, milliseconds(50));
      if (!batch.empty()) released.wait();  // the batch stays in hand until the test lets go
      written += static_cast<int>(batch.size());
    }
  });
  for (int i = 0; i < 3; ++i) {
    int item = i;
    ASSERT_TRUE(queue.push(item));
  }
  auto drained = std::async(std::launch::async, [&] { queue.waitUntilDrained(); });
  // While the consumer holds its batch the queue is empty but not drained.
  EXPECT_EQ(drained.wait_for(milliseconds(100)), std::future_status::timeout);
  release.set_value();
  drained.wait();
  EXPECT_EQ(written.load(), 3);
  queue.close();
  consumer.join();
}

}  // namespace
}  // namespace ketenpoort
