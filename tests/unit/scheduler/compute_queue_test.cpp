// ComputeQueue (issue 10): priority order, the realtime reserve, yields between steps,
// timeouts, and the capacity invariant. No timing is asserted: waiters are observed
// through stats() before anything is released.
#include "scheduler/compute_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace harvis {
namespace {

auto Far() { return std::chrono::steady_clock::now() + std::chrono::seconds(30); }
auto Soon() { return std::chrono::steady_clock::now() + std::chrono::milliseconds(20); }

int Waiting(const ComputeQueue& q) {
  const auto s = q.stats();
  return s.waiting[0] + s.waiting[1] + s.waiting[2];
}

void WaitForWaiters(const ComputeQueue& q, int n) {
  while (Waiting(q) < n) std::this_thread::yield();
}

TEST(ComputeQueueTest, GrantsUpToTheFreeUnits) {
  ComputeQueue q(4);
  auto a = q.AcquireFor(Priority::kRealtime, 3, false, Far());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->units(), 3);
  auto b = q.AcquireFor(Priority::kRealtime, 4, false, Far());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->units(), 1);  // what is left
  EXPECT_EQ(q.in_use(), 4);
  b->Release();
  a.reset();
  EXPECT_EQ(q.in_use(), 0);
  EXPECT_EQ(q.stats().max_in_use, 4);
}

TEST(ComputeQueueTest, WaitersAreServedInPriorityOrder) {
  ComputeQueue q(1);
  auto holder = q.AcquireFor(Priority::kNormal, 1, false, Far());
  ASSERT_TRUE(holder);
  std::mutex mu;
  std::vector<Priority> order;
  std::vector<std::thread> threads;
  for (Priority p : {Priority::kBatch, Priority::kNormal, Priority::kRealtime}) {
    threads.emplace_back([&, p] {
      auto g = q.AcquireFor(p, 1, false, Far());
      ASSERT_TRUE(g);
      std::lock_guard lock(mu);
      order.push_back(p);
    });
    WaitForWaiters(q, static_cast<int>(threads.size()));
  }
  holder.reset();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<Priority>{Priority::kRealtime, Priority::kNormal, Priority::kBatch}));
  EXPECT_EQ(q.stats().inversions, 0);
}

TEST(ComputeQueueTest, TheLastUnitIsKeptForRealtimeAndYieldingCalls) {
  ComputeQueue q(2);
  auto normal = q.AcquireFor(Priority::kNormal, 1, false, Far());
  ASSERT_TRUE(normal);
  // A second non-yielding normal call may not take the last unit...
  EXPECT_FALSE(q.AcquireFor(Priority::kBatch, 1, false, Soon()));
  EXPECT_FALSE(q.TryAcquire(1));
  EXPECT_EQ(Waiting(q), 0);  // the timed-out waiter left the queue
  // ...a realtime call and a yielding call may.
  auto realtime = q.AcquireFor(Priority::kRealtime, 1, false, Soon());
  ASSERT_TRUE(realtime);
  realtime.reset();
  EXPECT_TRUE(q.AcquireFor(Priority::kNormal, 1, /*yields=*/true, Soon()));
}

TEST(ComputeQueueTest, OneUnitDevicesHaveNoReserve) {
  ComputeQueue q(1);
  EXPECT_TRUE(q.AcquireFor(Priority::kBatch, 1, false, Soon()));
  EXPECT_TRUE(q.TryAcquire(4));
}

TEST(ComputeQueueTest, AYieldingCallHandsItsUnitToAHigherPriorityWaiter) {
  ComputeQueue q(1);
  std::atomic<bool> stop{false};
  std::atomic<int> steps{0};
  std::thread chat([&] {
    auto g = q.AcquireFor(Priority::kBatch, 1, /*yields=*/true, Far());
    ASSERT_TRUE(g);
    while (!stop) {  // one token per loop
      ++steps;
      g->YieldPoint();
      EXPECT_EQ(g->units(), 1);  // always back before the next step
    }
  });
  while (steps == 0) std::this_thread::yield();
  {
    auto realtime = q.AcquireFor(Priority::kRealtime, 1, false, Far());
    ASSERT_TRUE(realtime);  // granted at the chat's next token
    const int during = steps.load();
    EXPECT_EQ(q.in_use(), 1);
    EXPECT_EQ(steps.load(), during);  // the chat does not run while the unit is lent
  }
  const int after = steps.load();
  while (steps.load() == after) std::this_thread::yield();  // the chat got its unit back
  stop = true;
  chat.join();
  const auto s = q.stats();
  EXPECT_GE(s.yields, 1);
  EXPECT_EQ(s.max_in_use, 1);
  EXPECT_EQ(s.inversions, 0);
}

TEST(ComputeQueueTest, AYieldPointWithoutHigherPriorityWaitersKeepsTheUnit) {
  ComputeQueue q(1);
  auto g = q.AcquireFor(Priority::kRealtime, 1, true, Far());
  ASSERT_TRUE(g);
  std::thread same([&] { EXPECT_TRUE(q.AcquireFor(Priority::kRealtime, 1, false, Far())); });
  WaitForWaiters(q, 1);
  g->YieldPoint();  // an equal priority waits for the end of the call, not a token
  EXPECT_EQ(q.stats().yields, 0);
  g.reset();
  same.join();
}

TEST(ComputeQueueTest, AYieldedCallGoesAheadOfLaterCallsOfItsPriority) {
  ComputeQueue q(1);
  auto chat = q.AcquireFor(Priority::kNormal, 1, true, Far());
  ASSERT_TRUE(chat);
  std::vector<std::string> order;
  std::mutex mu;
  std::thread later([&] {
    auto g = q.AcquireFor(Priority::kNormal, 1, false, Far());
    std::lock_guard lock(mu);
    order.push_back("later normal");
  });
  WaitForWaiters(q, 1);
  std::thread realtime([&] {
    auto g = q.AcquireFor(Priority::kRealtime, 1, false, Far());
    std::lock_guard lock(mu);
    order.push_back("realtime");
  });
  WaitForWaiters(q, 2);
  chat->YieldPoint();  // lends the unit to the realtime call, then takes it back first
  {
    std::lock_guard lock(mu);
    order.push_back("chat resumed");
  }
  chat.reset();
  later.join();
  realtime.join();
  EXPECT_EQ(order, (std::vector<std::string>{"realtime", "chat resumed", "later normal"}));
}

}  // namespace
}  // namespace harvis
