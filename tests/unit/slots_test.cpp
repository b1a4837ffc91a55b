// Slots: at most `limit` coroutines past acquire, a released slot passed to the longest
// waiter, close() ending every wait, and a long line of waiters that release at once
// resumed in turn rather than nested (the stack would not hold 200,000 nested resumptions).
#include "gateway/concurrency/slots.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace ketenpoort {
namespace {

struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Takes a slot, notes that it did (or that it got none), and keeps the slot in `held`
// (released when the test lets it go) or releases it at once.
Detached take(Slots& slots, std::vector<int>& order, int id, std::vector<std::optional<Slots::Slot>>* held) {
  std::optional<Slots::Slot> slot = co_await slots.acquire();
  order.push_back(slot ? id : -id);
  if (slot && held) held->push_back(std::move(slot));
}

TEST(Slots, NoMoreThanTheLimitHoldOneAndAReleasedSlotGoesToTheLongestWaiter) {
  Slots slots(2);
  std::vector<int> order;
  std::vector<std::optional<Slots::Slot>> held;
  held.reserve(8);
  for (int id = 1; id <= 5; ++id) take(slots, order, id, &held);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(slots.waiting(), 3u);
  held[0]->release();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  held[1]->release();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
  slots.close();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, -5}));
  EXPECT_EQ(slots.waiting(), 0u);
  take(slots, order, 6, nullptr);
  EXPECT_EQ(order.back(), -6) << "an acquire after close gets no slot";
}

TEST(Slots, WaitersThatReleaseAtOnceAreResumedInTurnNotNested) {
  Slots slots(1);
  std::vector<int> order;
  std::vector<std::optional<Slots::Slot>> held;
  take(slots, order, 1, &held);
  constexpr int kWaiters = 200'000;
  order.reserve(kWaiters + 1);
  for (int id = 2; id <= kWaiters + 1; ++id) take(slots, order, id, nullptr);
  EXPECT_EQ(slots.waiting(), static_cast<std::size_t>(kWaiters));
  held.front()->release();  // each waiter releases as it gets the slot
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kWaiters + 1));
  EXPECT_EQ(order.back(), kWaiters + 1);
  EXPECT_EQ(slots.waiting(), 0u);
}

}  // namespace
}  // namespace ketenpoort
