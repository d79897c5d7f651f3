#include "scheduler/call_slots.h"

#include <algorithm>
#include <cmath>

namespace harvis {

SlotGrant::SlotGrant(SlotGrant&& other) noexcept : budget_(other.budget_), slots_(other.slots_) {
  other.budget_ = nullptr;
  other.slots_ = 0;
}

SlotGrant& SlotGrant::operator=(SlotGrant&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    slots_ = other.slots_;
    other.budget_ = nullptr;
    other.slots_ = 0;
  }
  return *this;
}

SlotGrant::~SlotGrant() { Release(); }

void SlotGrant::Release() {
  if (budget_ != nullptr) budget_->Return(slots_);
  budget_ = nullptr;
  slots_ = 0;
}

CallSlots::CallSlots(double capacity)
    : capacity_(std::max(1, static_cast<int>(std::floor(capacity)))) {}

SlotGrant CallSlots::Acquire(int wanted) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return used_ < capacity_; });
  const int slots = std::clamp(wanted, 1, capacity_ - used_);
  used_ += slots;
  return SlotGrant(this, slots);
}

std::optional<SlotGrant> CallSlots::AcquireFor(int wanted, std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return used_ < capacity_; })) return std::nullopt;
  const int slots = std::clamp(wanted, 1, capacity_ - used_);
  used_ += slots;
  return SlotGrant(this, slots);
}

int CallSlots::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

void CallSlots::Return(int slots) {
  {
    std::lock_guard lock(mu_);
    used_ -= slots;
  }
  cv_.notify_all();
}

}  // namespace harvis
