#include "scheduler/ledger.h"

#include "core/units.h"

namespace harvis {

void Ledger::AddDevice(const std::string& device, std::uint64_t budget) {
  std::lock_guard lock(mu_);
  devices_[device].budget = budget;
}

void Ledger::SetObserver(Observer observer) {
  std::lock_guard lock(mu_);
  observer_ = std::move(observer);
}

Ledger::Device* Ledger::Find(const std::string& device) {
  auto it = devices_.find(device);
  return it == devices_.end() ? nullptr : &it->second;
}

const Ledger::Device* Ledger::Find(const std::string& device) const {
  auto it = devices_.find(device);
  return it == devices_.end() ? nullptr : &it->second;
}

void Ledger::Notify(const std::string& device, const Device& d) const {
  if (observer_) observer_(device, d.reserved);
}

Status Ledger::Reserve(const std::string& device, const std::string& owner, std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  Device* d = Find(device);
  if (d == nullptr) return Status(ErrorCode::kNotFound, "unknown device '" + device + "'");
  if (d->owners.count(owner)) {
    return Status(ErrorCode::kConflict, "'" + owner + "' already holds a reservation on " + device);
  }
  if (bytes > d->budget - d->reserved) {
    return Status(ErrorCode::kResourceExhausted,
                  "reserving " + FormatBytes(bytes) + " for '" + owner + "' on " + device +
                      " would exceed its budget (" + FormatBytes(d->reserved) + " of " +
                      FormatBytes(d->budget) + " reserved)");
  }
  d->owners[owner] = bytes;
  d->reserved += bytes;
  Notify(device, *d);
  return Status::Ok();
}

Status Ledger::Resize(const std::string& device, const std::string& owner, std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  Device* d = Find(device);
  if (d == nullptr) return Status(ErrorCode::kNotFound, "unknown device '" + device + "'");
  auto it = d->owners.find(owner);
  if (it == d->owners.end()) {
    return Status(ErrorCode::kNotFound, "'" + owner + "' holds no reservation on " + device);
  }
  const std::uint64_t others = d->reserved - it->second;
  if (bytes > d->budget - others) {
    return Status(ErrorCode::kResourceExhausted,
                  "'" + owner + "' measured " + FormatBytes(bytes) + ", more than the " +
                      FormatBytes(d->budget - others) + " free on " + device);
  }
  d->reserved = others + bytes;
  it->second = bytes;
  Notify(device, *d);
  return Status::Ok();
}

std::uint64_t Ledger::Release(const std::string& device, const std::string& owner) {
  std::lock_guard lock(mu_);
  Device* d = Find(device);
  if (d == nullptr) return 0;
  auto it = d->owners.find(owner);
  if (it == d->owners.end()) return 0;
  const std::uint64_t bytes = it->second;
  d->reserved -= bytes;
  d->owners.erase(it);
  Notify(device, *d);
  return bytes;
}

std::uint64_t Ledger::Budget(const std::string& device) const {
  std::lock_guard lock(mu_);
  const Device* d = Find(device);
  return d ? d->budget : 0;
}

std::uint64_t Ledger::Reserved(const std::string& device) const {
  std::lock_guard lock(mu_);
  const Device* d = Find(device);
  return d ? d->reserved : 0;
}

std::uint64_t Ledger::Free(const std::string& device) const {
  std::lock_guard lock(mu_);
  const Device* d = Find(device);
  return d ? d->budget - d->reserved : 0;
}

std::uint64_t Ledger::ReservationOf(const std::string& device, const std::string& owner) const {
  std::lock_guard lock(mu_);
  const Device* d = Find(device);
  if (d == nullptr) return 0;
  auto it = d->owners.find(owner);
  return it == d->owners.end() ? 0 : it->second;
}

std::vector<Ledger::DeviceTotals> Ledger::Totals() const {
  std::lock_guard lock(mu_);
  std::vector<DeviceTotals> out;
  for (const auto& [id, d] : devices_) out.push_back({id, d.budget, d.reserved, d.owners.size()});
  return out;
}

Status Ledger::CheckInvariant() const {
  std::lock_guard lock(mu_);
  for (const auto& [id, d] : devices_) {
    std::uint64_t sum = 0;
    for (const auto& [owner, bytes] : d.owners) sum += bytes;
    if (sum != d.reserved) {
      return Status(ErrorCode::kInternal, "ledger of " + id + ": entries sum to " +
                                              std::to_string(sum) + " but total says " +
                                              std::to_string(d.reserved));
    }
    if (sum > d.budget) {
      return Status(ErrorCode::kInternal, "ledger of " + id + ": " + std::to_string(sum) +
                                              " bytes reserved over a budget of " +
                                              std::to_string(d.budget));
    }
  }
  return Status::Ok();
}

}  // namespace harvis
