// CPU cores as a budget (issue 3): concurrent CPU-bound engine calls share the
// allocated cores (cgroup quota x cpu_fraction), so the pod never oversubscribes its
// quota. A call asks for the threads it would like and gets a CpuGrant of at least
// one and at most the free cores; it waits while none is free (AcquireFor: for a
// bounded time, so that a request queued behind busy cores gets 503, not a long hang).
//
// Thread safety: thread-safe; one mutex, a leaf (never held while waiting on anything
// else). CpuGrant is move-only and returns its cores when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace harvis {

class CpuBudget;

class CpuGrant {
 public:
  CpuGrant() = default;
  CpuGrant(CpuGrant&& other) noexcept;
  CpuGrant& operator=(CpuGrant&& other) noexcept;
  CpuGrant(const CpuGrant&) = delete;
  CpuGrant& operator=(const CpuGrant&) = delete;
  ~CpuGrant();

  int threads() const { return threads_; }
  void Release();

 private:
  friend class CpuBudget;
  CpuGrant(CpuBudget* budget, int threads) : budget_(budget), threads_(threads) {}
  CpuBudget* budget_ = nullptr;
  int threads_ = 0;
};

class CpuBudget {
 public:
  // `cores`: allocated cores x cpu_fraction; at least one core is always available.
  explicit CpuBudget(double cores);

  // Blocks until at least one core is free, then grants min(wanted, free) (>= 1).
  CpuGrant Acquire(int wanted);
  // As Acquire, but gives up after `timeout` (nullopt).
  std::optional<CpuGrant> AcquireFor(int wanted, std::chrono::steady_clock::duration timeout);
  int capacity() const { return capacity_; }
  int in_use() const;

 private:
  friend class CpuGrant;
  void Return(int threads);

  const int capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int used_ = 0;
};

}  // namespace harvis
