#include "scheduler/cpu_budget.h"

#include <algorithm>
#include <cmath>

namespace harvis {

CpuGrant::CpuGrant(CpuGrant&& other) noexcept : budget_(other.budget_), threads_(other.threads_) {
  other.budget_ = nullptr;
  other.threads_ = 0;
}

CpuGrant& CpuGrant::operator=(CpuGrant&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    threads_ = other.threads_;
    other.budget_ = nullptr;
    other.threads_ = 0;
  }
  return *this;
}

CpuGrant::~CpuGrant() { Release(); }

void CpuGrant::Release() {
  if (budget_ != nullptr) budget_->Return(threads_);
  budget_ = nullptr;
  threads_ = 0;
}

CpuBudget::CpuBudget(double cores)
    : capacity_(std::max(1, static_cast<int>(std::floor(cores)))) {}

CpuGrant CpuBudget::Acquire(int wanted) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return used_ < capacity_; });
  const int threads = std::clamp(wanted, 1, capacity_ - used_);
  used_ += threads;
  return CpuGrant(this, threads);
}

std::optional<CpuGrant> CpuBudget::AcquireFor(int wanted, std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return used_ < capacity_; })) return std::nullopt;
  const int threads = std::clamp(wanted, 1, capacity_ - used_);
  used_ += threads;
  return CpuGrant(this, threads);
}

int CpuBudget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

void CpuBudget::Return(int threads) {
  {
    std::lock_guard lock(mu_);
    used_ -= threads;
  }
  cv_.notify_all();
}

}  // namespace harvis
