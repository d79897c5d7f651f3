#include "scheduler/compute_queue.h"

#include <algorithm>

namespace harvis {
namespace {

int Index(Priority p) { return static_cast<int>(p); }

}  // namespace

ComputeGrant::ComputeGrant(ComputeGrant&& other) noexcept
    : queue_(other.queue_), units_(other.units_), priority_(other.priority_),
      yields_(other.yields_), seq_(other.seq_) {
  other.queue_ = nullptr;
  other.units_ = 0;
}

ComputeGrant& ComputeGrant::operator=(ComputeGrant&& other) noexcept {
  if (this != &other) {
    Release();
    queue_ = other.queue_;
    units_ = other.units_;
    priority_ = other.priority_;
    yields_ = other.yields_;
    seq_ = other.seq_;
    other.queue_ = nullptr;
    other.units_ = 0;
  }
  return *this;
}

void ComputeGrant::Release() {
  if (queue_ != nullptr) queue_->Return(units_);
  queue_ = nullptr;
  units_ = 0;
}

void ComputeGrant::YieldPoint() {
  if (queue_ != nullptr) queue_->Yield(*this);
}

ComputeQueue::ComputeQueue(int capacity)
    : capacity_(std::max(1, capacity)), reserve_(capacity_ >= 2 ? 1 : 0) {
  stats_.capacity = capacity_;
}

bool ComputeQueue::MayGrant(const Waiter& w) const {
  const int reserve = (w.priority == Priority::kRealtime || w.yields) ? 0 : reserve_;
  return capacity_ - used_ - reserve >= w.min_units;
}

void ComputeQueue::Dispatch() {
  bool realtime_left_waiting = false;
  bool granted = false;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter& w = **it;
    if (!MayGrant(w)) {
      realtime_left_waiting = realtime_left_waiting || w.priority == Priority::kRealtime;
      ++it;
      continue;
    }
    if (realtime_left_waiting) ++stats_.inversions;
    const int reserve = (w.priority == Priority::kRealtime || w.yields) ? 0 : reserve_;
    w.granted = std::min(w.wanted, capacity_ - used_ - reserve);
    used_ += w.granted;
    stats_.max_in_use = std::max(stats_.max_in_use, used_);
    it = waiters_.erase(it);
    granted = true;
  }
  if (granted) cv_.notify_all();
}

bool ComputeQueue::Wait(Waiter& w, Lock& lk,
                        std::optional<std::chrono::steady_clock::time_point> deadline) {
  auto after = std::find_if(waiters_.begin(), waiters_.end(), [&](const Waiter* o) {
    return Index(o->priority) > Index(w.priority) || (o->priority == w.priority && o->seq > w.seq);
  });
  waiters_.insert(after, &w);
  Dispatch();
  while (w.granted == 0) {
    if (!deadline) {
      cv_.wait(lk);
    } else if (cv_.wait_until(lk, *deadline) == std::cv_status::timeout && w.granted == 0) {
      waiters_.remove(&w);
      return false;
    }
  }
  return true;
}

std::optional<ComputeGrant> ComputeQueue::AcquireFor(Priority priority, int wanted, bool yields,
                                                     std::chrono::steady_clock::time_point deadline) {
  Lock lk(mu_);
  Waiter w{priority, next_seq_++, std::max(1, wanted), 1, yields};
  if (!Wait(w, lk, deadline)) return std::nullopt;
  return ComputeGrant(this, w.granted, priority, yields, w.seq);
}

std::optional<ComputeGrant> ComputeQueue::TryAcquire(int wanted) {
  Lock lk(mu_);
  Waiter w{Priority::kNormal, next_seq_++, std::max(1, wanted), 1, false};
  if (!waiters_.empty() || !MayGrant(w)) return std::nullopt;
  const int units = std::min(w.wanted, capacity_ - used_ - reserve_);
  used_ += units;
  stats_.max_in_use = std::max(stats_.max_in_use, used_);
  return ComputeGrant(this, units, w.priority, false, w.seq);
}

void ComputeQueue::Return(int units) {
  Lock lk(mu_);
  used_ -= units;
  Dispatch();
}

void ComputeQueue::Yield(ComputeGrant& g) {
  Lock lk(mu_);
  if (waiters_.empty() || Index(waiters_.front()->priority) >= Index(g.priority_)) return;
  // Hand the units over, then wait for all of them back, ahead of later calls of the
  // same priority (the original seq).
  used_ -= g.units_;
  ++stats_.yields;
  Waiter w{g.priority_, g.seq_, g.units_, g.units_, g.yields_};
  Wait(w, lk, std::nullopt);
  g.units_ = w.granted;
}

ComputeQueue::Stats ComputeQueue::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.in_use = used_;
  for (const Waiter* w : waiters_) ++s.waiting[Index(w->priority)];
  return s;
}

int ComputeQueue::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

}  // namespace harvis
