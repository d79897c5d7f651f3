#include "scheduler/ram_tier.h"

#include <algorithm>

namespace harvis {

RamTier::RamTier(Ledger& ledger, std::string host_device, std::uint64_t capacity)
    : ledger_(ledger), host_(std::move(host_device)), capacity_(capacity) {}

void RamTier::DropLocked(std::string model) {
  auto it = entries_.find(model);
  if (it == entries_.end()) return;
  bytes_ -= it->second.blob.accounted_bytes;
  lru_.erase(it->second.lru_pos);
  entries_.erase(it);
  ledger_.Release(host_, Owner(model));
}

bool RamTier::Put(const std::string& model, WeightBlob blob, bool make_room) {
  std::lock_guard lock(mu_);
  DropLocked(model);
  const std::uint64_t need = blob.accounted_bytes;
  if (need == 0 || need > capacity_) return false;
  while (bytes_ + need > capacity_ && !lru_.empty() && make_room) DropLocked(lru_.back());
  if (bytes_ + need > capacity_) return false;
  while (!ledger_.Reserve(host_, Owner(model), need).ok()) {
    if (lru_.empty() || !make_room) return false;  // the host budget is taken by models
    DropLocked(lru_.back());
  }
  lru_.push_front(model);
  entries_[model] = Entry{std::move(blob), lru_.begin()};
  bytes_ += need;
  return true;
}

std::optional<WeightBlob> RamTier::Get(const std::string& model) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(model);
  if (it == entries_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru_pos);
  return it->second.blob;
}

std::uint64_t RamTier::Room() const {
  std::lock_guard lock(mu_);
  return std::min(capacity_ - bytes_, ledger_.Free(host_));
}

bool RamTier::Contains(const std::string& model) const {
  std::lock_guard lock(mu_);
  return entries_.count(model) > 0;
}

void RamTier::Drop(const std::string& model) {
  std::lock_guard lock(mu_);
  DropLocked(model);
}

std::uint64_t RamTier::FreeAtLeast(std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  std::uint64_t freed = 0;
  while (freed < bytes && !lru_.empty()) {
    const std::string victim = lru_.back();
    freed += entries_.at(victim).blob.accounted_bytes;
    DropLocked(victim);
  }
  return freed;
}

std::uint64_t RamTier::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace harvis
