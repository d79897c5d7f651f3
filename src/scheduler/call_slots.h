// A counting budget of concurrent calls: a model's `parallel` slots (one per engine
// call on one loaded copy). A call asks for the slots it would like and gets a
// SlotGrant of at least one and at most the free ones; it waits while none is free
// (AcquireFor: for a bounded time, so that a request queued behind busy slots gets 503,
// not a long hang). Device compute (GPU shares, host cores) is ComputeQueue's.
//
// Thread safety: thread-safe; one mutex, a leaf (never held while waiting on anything
// else). SlotGrant is move-only and returns its slots when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace harvis {

class CallSlots;

class SlotGrant {
 public:
  SlotGrant() = default;
  SlotGrant(SlotGrant&& other) noexcept;
  SlotGrant& operator=(SlotGrant&& other) noexcept;
  SlotGrant(const SlotGrant&) = delete;
  SlotGrant& operator=(const SlotGrant&) = delete;
  ~SlotGrant();

  int slots() const { return slots_; }
  void Release();

 private:
  friend class CallSlots;
  SlotGrant(CallSlots* budget, int slots) : budget_(budget), slots_(slots) {}
  CallSlots* budget_ = nullptr;
  int slots_ = 0;
};

class CallSlots {
 public:
  // `capacity` is floored; at least one slot is always available.
  explicit CallSlots(double capacity);

  // Blocks until at least one core is free, then grants min(wanted, free) (>= 1).
  SlotGrant Acquire(int wanted);
  // As Acquire, but gives up after `timeout` (nullopt).
  std::optional<SlotGrant> AcquireFor(int wanted, std::chrono::steady_clock::duration timeout);
  int capacity() const { return capacity_; }
  int in_use() const;

 private:
  friend class SlotGrant;
  void Return(int slots);

  const int capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int used_ = 0;
};

}  // namespace harvis
