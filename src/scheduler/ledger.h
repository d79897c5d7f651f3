// The memory ledger (SPEC §4): one budget per device (each GPU, and host RAM), and
// named reservations against it. A model reaches a device only through a reservation
// of its predicted footprint; after the load the reservation is corrected to the
// measured footprint. Invariant, checked by CheckInvariant(): on every device the sum
// of reservations never exceeds the budget. Reserve/Resize refuse (never overcommit).
//
// Thread safety: every method is thread-safe; one internal mutex, a leaf in the
// scheduler's lock order (nothing else is locked while it is held, except the
// observer's own leaf locks).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace harvis {

class Ledger {
 public:
  struct DeviceTotals {
    std::string device;
    std::uint64_t budget = 0;
    std::uint64_t reserved = 0;
    size_t reservations = 0;
  };
  // Called after every change of a device's reserved total (under the ledger lock).
  using Observer = std::function<void(const std::string& device, std::uint64_t reserved)>;

  // Adds a device with its budget in bytes. Not thread-safe with other calls: set up
  // devices before sharing the ledger.
  void AddDevice(const std::string& device, std::uint64_t budget);
  void SetObserver(Observer observer);

  // Reserves `bytes` for `owner` on `device`. kResourceExhausted when it does not fit,
  // kConflict when the owner already holds a reservation there, kNotFound for an
  // unknown device.
  Status Reserve(const std::string& device, const std::string& owner, std::uint64_t bytes);
  // Changes an existing reservation (after measuring). Growing beyond the budget is
  // refused with kResourceExhausted and leaves the reservation unchanged.
  Status Resize(const std::string& device, const std::string& owner, std::uint64_t bytes);
  // Releases the owner's reservation; returns the bytes released (0 if none).
  std::uint64_t Release(const std::string& device, const std::string& owner);

  std::uint64_t Budget(const std::string& device) const;
  std::uint64_t Reserved(const std::string& device) const;
  // Budget minus reserved (0 for unknown devices).
  std::uint64_t Free(const std::string& device) const;
  std::uint64_t ReservationOf(const std::string& device, const std::string& owner) const;
  std::vector<DeviceTotals> Totals() const;

  // OK when every device's reservations sum to at most its budget and the cached
  // totals match the entries; otherwise kInternal describing the violation.
  Status CheckInvariant() const;

 private:
  struct Device {
    std::uint64_t budget = 0;
    std::uint64_t reserved = 0;
    std::map<std::string, std::uint64_t> owners;
  };
  Device* Find(const std::string& device);
  const Device* Find(const std::string& device) const;
  void Notify(const std::string& device, const Device& d) const;

  mutable std::mutex mu_;
  std::map<std::string, Device> devices_;
  Observer observer_;
};

}  // namespace harvis
