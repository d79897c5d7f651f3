// Compute of one device as a budget (issue 10): the shares of a GPU (concurrent engine
// calls placed on it) or the host's CPU cores (allocated cores x cpu_fraction). Calls
// on a GPU take shares of that GPU only, calls on the host take cores; so GPU work of
// different models is never serialised behind the host's cores.
//
// Waiters are served in priority order (realtime, normal, batch; FIFO within one), by
// hand-off: a released unit goes to the first waiter that may take it, never to a call
// that arrives later. When the capacity is at least 2, one unit is kept for calls that
// cannot hold it for long: a non-yielding call of normal or batch priority never takes
// the last free unit, so a realtime call waits at most one step of another call.
// A yielding call (an LLM generation) calls YieldPoint() between tokens: while a call
// of higher priority waits, it hands its units over and waits to get them back.
//
//   AcquireFor ─ free & nobody ahead ─► grant ─► [YieldPoint: higher waits? ─► hand over
//        │                                        ─► wait (ahead of its own priority) ─►
//        └─ else: queue (priority, seq) ─► granted by a release, or timeout ─► nullopt]
//
// Thread safety: thread-safe; one mutex, a leaf (lock order: after every scheduler
// lock, never held while waiting on anything else). ComputeGrant is move-only, used by
// one thread, and returns its units when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>

#include "core/config.h"

namespace harvis {

class ComputeQueue;

class ComputeGrant {
 public:
  ComputeGrant() = default;
  ComputeGrant(ComputeGrant&& other) noexcept;
  ComputeGrant& operator=(ComputeGrant&& other) noexcept;
  ComputeGrant(const ComputeGrant&) = delete;
  ComputeGrant& operator=(const ComputeGrant&) = delete;
  ~ComputeGrant() { Release(); }

  // Units held: CPU threads on the host, 1 share on a GPU.
  int units() const { return units_; }
  // A yielding call's safe point (between two tokens): hands the units to a waiting
  // call of higher priority, if any, and returns once they are back. Cheap otherwise.
  void YieldPoint();
  void Release();

 private:
  friend class ComputeQueue;
  ComputeGrant(ComputeQueue* queue, int units, Priority priority, bool yields, std::uint64_t seq)
      : queue_(queue), units_(units), priority_(priority), yields_(yields), seq_(seq) {}
  ComputeQueue* queue_ = nullptr;
  int units_ = 0;
  Priority priority_ = Priority::kNormal;
  bool yields_ = false;
  std::uint64_t seq_ = 0;  // its place within its priority when it waits again
};

class ComputeQueue {
 public:
  // `capacity`: units of the device (at least 1).
  explicit ComputeQueue(int capacity);

  // Waits (until `deadline`) for min(wanted, free) >= 1 units, in priority order.
  // `yields`: the caller calls YieldPoint() between steps (LLM tokens).
  std::optional<ComputeGrant> AcquireFor(Priority priority, int wanted, bool yields,
                                         std::chrono::steady_clock::time_point deadline);
  // Up to `wanted` units if some are free and nobody waits; never waits (loads).
  std::optional<ComputeGrant> TryAcquire(int wanted);

  struct Stats {
    int capacity = 0;
    int in_use = 0;
    int max_in_use = 0;         // ever
    int waiting[3] = {0, 0, 0};  // by priority: realtime, normal, batch
    long yields = 0;            // units handed over at a YieldPoint
    // Grants of a normal or batch call made while a realtime call was left waiting:
    // must stay 0 (realtime never waits behind lower-priority work beyond one step).
    long inversions = 0;
  };
  Stats stats() const;
  int capacity() const { return capacity_; }
  int in_use() const;

 private:
  friend class ComputeGrant;
  struct Waiter {
    Priority priority;
    std::uint64_t seq;
    int wanted;
    int min_units;  // 1, or all its units back after a yield
    bool yields;
    int granted = 0;  // set by Dispatch
  };
  using Lock = std::unique_lock<std::mutex>;
  // Whether `w` may take units now (free units, the realtime reserve).
  bool MayGrant(const Waiter& w) const;
  // Hands free units to waiters in order. Requires mu_.
  void Dispatch();
  // Queues `w` (ordered by priority, then seq), dispatches and waits; false on timeout.
  bool Wait(Waiter& w, Lock& lk, std::optional<std::chrono::steady_clock::time_point> deadline);
  void Return(int units);
  void Yield(ComputeGrant& g);

  const int capacity_;
  const int reserve_;  // units kept for realtime and yielding calls
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Waiter*> waiters_;  // in service order
  int used_ = 0;
  std::uint64_t next_seq_ = 0;
  Stats stats_;
};

}  // namespace harvis
