// RAM tier (SPEC §4): weights of evicted models whose engine can load from memory stay
// in host RAM, so the next load skips the disk. Entries are charged to the host
// device's ledger (owner "ram-tier:<model>") and limited to `capacity` bytes; least
// recently used entries go first when room is needed. The tier is a cache: any entry
// may be dropped at any time, e.g. to make room for a model placed in host RAM.
//
// Thread safety: thread-safe; one mutex, locked before the ledger's (lock order:
// Scheduler::mu_ -> RamTier::mu_ -> Ledger::mu_).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "engines/engine.h"
#include "scheduler/ledger.h"

namespace harvis {

class RamTier {
 public:
  // `host_device` is the ledger device charged; capacity 0 disables the tier.
  RamTier(Ledger& ledger, std::string host_device, std::uint64_t capacity);

  // Keeps `blob` for `model`, replacing an older copy and, when `make_room`, dropping
  // LRU entries to make room; returns false (keeping nothing) when it cannot fit in the
  // capacity or the host budget.
  bool Put(const std::string& model, WeightBlob blob, bool make_room = true);
  // Bytes that fit without dropping an entry (capacity and host budget).
  std::uint64_t Room() const;
  // The cached weights of `model` (marks them recently used), or nullopt.
  std::optional<WeightBlob> Get(const std::string& model);
  bool Contains(const std::string& model) const;
  // Removes `model`'s entry and releases its reservation.
  void Drop(const std::string& model);
  // Drops LRU entries until at least `bytes` were released or the tier is empty;
  // returns the bytes released.
  std::uint64_t FreeAtLeast(std::uint64_t bytes);
  std::uint64_t bytes() const;
  std::uint64_t capacity() const { return capacity_; }

 private:
  struct Entry {
    WeightBlob blob;
    std::list<std::string>::iterator lru_pos;
  };
  static std::string Owner(const std::string& model) { return "ram-tier:" + model; }
  void DropLocked(std::string model);  // by value: callers pass lru_ elements

  Ledger& ledger_;
  const std::string host_;
  const std::uint64_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recently used
  std::uint64_t bytes_ = 0;
};

}  // namespace harvis
