// The admission wait queue (SPEC §4): requests whose model does not fit anywhere, even
// after evicting every idle model, wait here. Bounded per priority (overflow policy:
// reject the newcomer with kResourceExhausted + Retry-After). Each capacity change
// starts a new "epoch"; within an epoch waiters retry admission in priority order
// (realtime, normal, batch; FIFO within one), each at most once, so a later request
// that fits is not stuck behind an earlier one that does not.
//
// Thread safety: none of its own; guarded by Scheduler::mu_.
#pragma once

#include <array>
#include <cstdint>
#include <list>

#include "core/config.h"

namespace harvis {

class WaitQueue {
 public:
  struct Ticket {
    Priority priority = Priority::kNormal;
    std::uint64_t seq = 0;
    std::uint64_t attempted_epoch = 0;  // the epoch of its last failed attempt
  };

  explicit WaitQueue(size_t capacity_per_priority) : capacity_(capacity_per_priority) {}

  // Enqueues a ticket that just failed an attempt in `epoch`; nullptr when that
  // priority's queue is full. The pointer stays valid until Remove().
  Ticket* Push(Priority priority, std::uint64_t epoch);
  void Remove(Ticket* ticket);
  // True when `ticket` has not attempted in `epoch` and every ticket ahead of it has.
  bool MayAttempt(const Ticket& ticket, std::uint64_t epoch) const;
  size_t Depth(Priority priority) const { return queues_[Index(priority)].size(); }
  size_t capacity() const { return capacity_; }

 private:
  static size_t Index(Priority p) { return static_cast<size_t>(p); }
  const size_t capacity_;
  std::uint64_t next_seq_ = 0;
  std::array<std::list<Ticket>, 3> queues_;  // by Priority: realtime, normal, batch
};

}  // namespace harvis
