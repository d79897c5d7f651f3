// Unit tests of the scheduler's components: ledger, lifecycle, usage history, eviction
// policies, wait queue, RAM tier, CPU budget, footprint store.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "scheduler/call_slots.h"
#include "scheduler/eviction_policy.h"
#include "scheduler/footprint_store.h"
#include "scheduler/ledger.h"
#include "scheduler/lifecycle.h"
#include "scheduler/ram_tier.h"
#include "scheduler/usage_history.h"
#include "scheduler/wait_queue.h"

namespace harvis {
namespace {

TEST(LedgerTest, ReserveResizeRelease) {
  Ledger ledger;
  ledger.AddDevice("gpu0", 10 * kGiB);
  std::uint64_t observed = 0;
  ledger.SetObserver([&](const std::string&, std::uint64_t r) { observed = r; });
  ASSERT_TRUE(ledger.Reserve("gpu0", "a", 6 * kGiB).ok());
  EXPECT_EQ(observed, 6 * kGiB);
  EXPECT_EQ(ledger.Reserve("gpu0", "b", 5 * kGiB).code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ledger.Reserve("gpu0", "a", 1).code(), ErrorCode::kConflict);
  EXPECT_EQ(ledger.Reserve("nope", "a", 1).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(ledger.Reserve("gpu0", "b", 4 * kGiB).ok());
  EXPECT_EQ(ledger.Free("gpu0"), 0u);
  // Correction to the measured footprint: shrinking works, growing past the budget not.
  ASSERT_TRUE(ledger.Resize("gpu0", "a", 5 * kGiB).ok());
  EXPECT_EQ(ledger.Resize("gpu0", "a", 7 * kGiB).code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(ledger.ReservationOf("gpu0", "a"), 5 * kGiB);
  EXPECT_EQ(ledger.Release("gpu0", "a"), 5 * kGiB);
  EXPECT_EQ(ledger.Release("gpu0", "a"), 0u);
  EXPECT_EQ(ledger.Reserved("gpu0"), 4 * kGiB);
  EXPECT_TRUE(ledger.CheckInvariant().ok());
  auto totals = ledger.Totals();
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].reservations, 1u);
}

TEST(LedgerTest, ConcurrentReservationsNeverExceedBudget) {
  Ledger ledger;
  ledger.AddDevice("gpu0", 100);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string owner = std::to_string(t) + ":" + std::to_string(i % 7);
        if (ledger.Reserve("gpu0", owner, 10 + static_cast<std::uint64_t>(i % 13)).ok()) {
          EXPECT_LE(ledger.Reserved("gpu0"), 100u);
          ledger.Release("gpu0", owner);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(ledger.CheckInvariant().ok());
  EXPECT_EQ(ledger.Reserved("gpu0"), 0u);
}

TEST(LifecycleTest, TransitionsFollowTheDiagram) {
  using S = ModelState;
  EXPECT_TRUE(IsValidTransition(S::kUnloaded, S::kLoading));
  EXPECT_TRUE(IsValidTransition(S::kLoading, S::kReady));
  EXPECT_TRUE(IsValidTransition(S::kLoading, S::kFailed));
  EXPECT_TRUE(IsValidTransition(S::kReady, S::kUnloading));
  EXPECT_TRUE(IsValidTransition(S::kUnloading, S::kUnloaded));
  EXPECT_TRUE(IsValidTransition(S::kFailed, S::kLoading));
  EXPECT_FALSE(IsValidTransition(S::kUnloaded, S::kReady));
  EXPECT_FALSE(IsValidTransition(S::kReady, S::kUnloaded));
  EXPECT_FALSE(IsValidTransition(S::kUnloading, S::kReady));
  EXPECT_STREQ(ModelStateName(S::kUnloading), "unloading");
}

TEST(LifecycleTest, BackoffDoublesFromOneSecondToFiveMinutes) {
  EXPECT_EQ(FailureBackoff(1), std::chrono::seconds(1));
  EXPECT_EQ(FailureBackoff(2), std::chrono::seconds(2));
  EXPECT_EQ(FailureBackoff(4), std::chrono::seconds(8));
  EXPECT_EQ(FailureBackoff(9), std::chrono::seconds(256));
  EXPECT_EQ(FailureBackoff(10), std::chrono::minutes(5));
  EXPECT_EQ(FailureBackoff(1000), std::chrono::minutes(5));
}

TEST(UsageHistoryTest, RateDecaysWithSilence) {
  ManualClock clock;
  UsageHistory h;
  EXPECT_EQ(h.Rate(clock.Now()), 0);
  for (int i = 0; i < 20; ++i) {
    h.Record(clock.Now());
    clock.Advance(std::chrono::seconds(10));
  }
  const double busy = h.Rate(clock.Now());
  EXPECT_GT(busy, 0.05);  // about one request every 10 s
  EXPECT_LE(busy, 0.1 + 1e-9);
  clock.Advance(std::chrono::hours(1));
  EXPECT_LE(h.Rate(clock.Now()), 1.0 / 3600 + 1e-9);
  EXPECT_LT(h.ReuseLikelihood(clock.Now(), std::chrono::seconds(60)), 0.02);
  EXPECT_EQ(h.requests(), 20);
}

VictimCandidate Cand(size_t id, std::uint64_t gib, double reload, double reuse, int last_used_s,
                     int keep_alive_s) {
  VictimCandidate c;
  c.id = id;
  c.bytes = gib * kGiB;
  c.reload_seconds = reload;
  c.reuse_likelihood = reuse;
  c.last_used = Clock::TimePoint(std::chrono::seconds(last_used_s));
  c.keep_alive = std::chrono::seconds(keep_alive_s);
  c.expires_at = c.last_used + c.keep_alive;
  return c;
}

TEST(EvictionPolicyTest, CostPrefersCheapToLose) {
  auto policy = MakeEvictionPolicy("cost");
  ASSERT_TRUE(policy.ok());
  std::vector<VictimCandidate> c{
      Cand(0, 4, 10.0, 0.9, 100, 300),  // hot and slow to reload: cost 9
      Cand(1, 4, 10.0, 0.1, 50, 300),   // cold: cost 1
      Cand(2, 4, 1.0, 0.5, 10, 300),    // fast to reload: cost 0.5
  };
  auto v = (*policy)->Select(c, 6 * kGiB);
  ASSERT_TRUE(v.has_value());
  std::sort(v->begin(), v->end());
  EXPECT_EQ(*v, (std::vector<size_t>{1, 2}));
  EXPECT_FALSE((*policy)->Select(c, 13 * kGiB).has_value());
  EXPECT_TRUE((*policy)->Select(c, 0)->empty());
}

TEST(EvictionPolicyTest, CostTieBreaksOnSizeAndUsesCheapestSingle) {
  auto policy = MakeEvictionPolicy("cost");
  std::vector<VictimCandidate> c{Cand(0, 2, 1.0, 0.5, 0, 0), Cand(1, 8, 1.0, 0.5, 0, 0)};
  auto v = (*policy)->Select(c, 2 * kGiB);  // equal cost: the larger goes first
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, std::vector<size_t>{1});
  // Two cheap small ones (0.3 + 0.3) vs one big at 0.5: the single is cheaper.
  std::vector<VictimCandidate> d{Cand(0, 3, 1.0, 0.3, 0, 0), Cand(1, 3, 1.0, 0.3, 0, 0),
                                 Cand(2, 8, 1.0, 0.5, 0, 0)};
  auto w = (*policy)->Select(d, 5 * kGiB);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(*w, std::vector<size_t>{2});
}

TEST(EvictionPolicyTest, LruAndKeepAliveOrders) {
  std::vector<VictimCandidate> c{Cand(0, 4, 1, 0.9, 100, 60), Cand(1, 4, 50, 0.9, 10, 600),
                                 Cand(2, 4, 1, 0.0, 50, 5)};
  auto lru = MakeEvictionPolicy("lru");
  EXPECT_EQ(*(*lru)->Select(c, 4 * kGiB), std::vector<size_t>{1});
  auto ka = MakeEvictionPolicy("keepalive");
  EXPECT_EQ(*(*ka)->Select(c, 4 * kGiB), std::vector<size_t>{2});
  auto uau = MakeEvictionPolicy("unload-after-use");
  EXPECT_TRUE((*uau)->UnloadAfterUse());
  EXPECT_FALSE((*lru)->UnloadAfterUse());
  auto bad = MakeEvictionPolicy("random");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(EvictionPolicyNames().size(), 4u);
}

TEST(EvictionPolicyTest, PrunesUnneededVictims) {
  auto lru = MakeEvictionPolicy("lru");
  // LRU order 0 (1 GiB), 1 (1 GiB), 2 (8 GiB); need 8: greedy takes all, prune keeps 2.
  std::vector<VictimCandidate> c{Cand(0, 1, 1, 0, 1, 0), Cand(1, 1, 1, 0, 2, 0),
                                 Cand(2, 8, 1, 0, 3, 0)};
  EXPECT_EQ(*(*lru)->Select(c, 8 * kGiB), std::vector<size_t>{2});
}

TEST(WaitQueueTest, PriorityOrderWithinAnEpoch) {
  WaitQueue q(2);
  auto* normal = q.Push(Priority::kNormal, 1);
  auto* realtime = q.Push(Priority::kRealtime, 1);
  auto* normal2 = q.Push(Priority::kNormal, 1);
  EXPECT_EQ(q.Push(Priority::kNormal, 1), nullptr);  // bounded per priority
  EXPECT_EQ(q.Depth(Priority::kNormal), 2u);
  // Nothing changed (epoch 1): nobody retries.
  EXPECT_FALSE(q.MayAttempt(*realtime, 1));
  // Epoch 2: realtime first, then the normals in arrival order.
  EXPECT_TRUE(q.MayAttempt(*realtime, 2));
  EXPECT_FALSE(q.MayAttempt(*normal, 2));
  realtime->attempted_epoch = 2;
  EXPECT_TRUE(q.MayAttempt(*normal, 2));
  EXPECT_FALSE(q.MayAttempt(*normal2, 2));
  q.Remove(normal);
  EXPECT_TRUE(q.MayAttempt(*normal2, 2));
  q.Remove(realtime);
  q.Remove(normal2);
  EXPECT_EQ(q.Depth(Priority::kRealtime) + q.Depth(Priority::kNormal), 0u);
}

TEST(RamTierTest, LruWithinCapacityChargedToHostLedger) {
  Ledger ledger;
  ledger.AddDevice("cpu", 10 * kGiB);
  RamTier tier(ledger, "cpu", 6 * kGiB);
  EXPECT_TRUE(tier.Put("a", WeightBlob{nullptr, 3 * kGiB}));
  EXPECT_TRUE(tier.Put("b", WeightBlob{nullptr, 2 * kGiB}));
  EXPECT_EQ(ledger.Reserved("cpu"), 5 * kGiB);
  ASSERT_TRUE(tier.Get("a").has_value());  // a is now the most recent
  EXPECT_TRUE(tier.Put("c", WeightBlob{nullptr, 2 * kGiB}));  // evicts b
  EXPECT_FALSE(tier.Contains("b"));
  EXPECT_TRUE(tier.Contains("a"));
  EXPECT_EQ(tier.bytes(), 5 * kGiB);
  EXPECT_FALSE(tier.Put("huge", WeightBlob{nullptr, 7 * kGiB}));
  // Models take the host budget: the tier gives way.
  ASSERT_TRUE(ledger.Reserve("cpu", "model:x", 4 * kGiB).ok());
  EXPECT_EQ(tier.FreeAtLeast(1), 3 * kGiB);  // LRU: a was used before c was put
  EXPECT_TRUE(ledger.CheckInvariant().ok());
  tier.Drop("c");
  EXPECT_EQ(tier.bytes(), 0u);
  EXPECT_EQ(ledger.Reserved("cpu"), 4 * kGiB);
}

TEST(RamTierTest, RefusesWhenHostBudgetIsTaken) {
  Ledger ledger;
  ledger.AddDevice("cpu", 4 * kGiB);
  ASSERT_TRUE(ledger.Reserve("cpu", "model:x", 3 * kGiB).ok());
  RamTier tier(ledger, "cpu", 4 * kGiB);
  EXPECT_FALSE(tier.Put("a", WeightBlob{nullptr, 2 * kGiB}));
  EXPECT_TRUE(tier.Put("b", WeightBlob{nullptr, 1 * kGiB}));
  EXPECT_LE(ledger.Reserved("cpu"), 4 * kGiB);
}

TEST(CallSlotsTest, GrantsAtMostTheFreeSlots) {
  CallSlots slots(9.6);  // floored: 9
  EXPECT_EQ(slots.capacity(), 9);
  SlotGrant a = slots.Acquire(6);
  EXPECT_EQ(a.slots(), 6);
  SlotGrant b = slots.Acquire(6);
  EXPECT_EQ(b.slots(), 3);
  EXPECT_EQ(slots.in_use(), 9);
  std::thread waiter([&] {
    SlotGrant c = slots.Acquire(2);  // blocks until a slot is back
    EXPECT_GE(c.slots(), 1);
  });
  a.Release();
  waiter.join();
  b.Release();
  EXPECT_EQ(slots.in_use(), 0);
  EXPECT_EQ(CallSlots(0.2).capacity(), 1);
}

TEST(FootprintStoreTest, RoundTripsThroughTheStateDir) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("harvis-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    FootprintStore store(FootprintStore::PathIn(dir.string()));
    EXPECT_TRUE(store.Load().ok());  // missing file is fine
    store.Record("llm", 5 * kGiB, 3.5);
    store.Record("llm", 6 * kGiB, 4.0);
    ASSERT_TRUE(store.Save().ok());
  }
  FootprintStore again(FootprintStore::PathIn(dir.string()));
  ASSERT_TRUE(again.Load().ok());
  auto s = again.Get("llm");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->bytes, 6 * kGiB);
  EXPECT_DOUBLE_EQ(s->load_seconds, 4.0);
  EXPECT_EQ(s->loads, 2);
  EXPECT_FALSE(again.Get("other").has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace harvis
