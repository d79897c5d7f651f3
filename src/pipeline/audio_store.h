// AudioStore: generated audio (WAV bytes) kept in memory under opaque ids, for
// GET /api/audio/{id} (SPEC §5). Nothing but what was Put() can ever be returned: an id
// is checked against ^[0-9a-f]{32}(\.wav)?$ before any lookup, so path-like input
// ("..", "/etc/passwd", "%2F") never matches.
//
// Limits: an item lives `ttl` after it was stored; the store holds at most `max_bytes`
// in all (the oldest items are evicted first to make room) and refuses an item larger
// than `max_item_bytes` or `max_bytes`. Expired items are dropped lazily, on any call.
//
// Thread safety: thread-safe; one mutex, a leaf in the lock order (the clock is called
// under it). Ownership: returned bytes are shared and immutable, and stay valid after
// the item is evicted.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace harvis::pipeline {

struct AudioStoreOptions {
  uint64_t max_bytes = 256ull << 20;
  std::chrono::seconds ttl{3600};
  size_t max_item_bytes = 64ull << 20;
};

struct StoredAudio {
  std::shared_ptr<const std::string> bytes;
  std::string content_type;
};

class AudioStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit AudioStore(AudioStoreOptions o = {}, Clock now = std::chrono::steady_clock::now);

  // Stores `bytes`; returns its new id (32 lowercase hex characters from a CSPRNG).
  // kResourceExhausted when the item exceeds max_item_bytes or max_bytes.
  Result<std::string> Put(std::string bytes, std::string content_type = "audio/wav");
  // The item stored under `id` (a ".wav" suffix is accepted); nullopt when the id is
  // malformed, unknown, evicted or expired.
  std::optional<StoredAudio> Get(std::string_view id) const;
  // Total bytes and number of items stored (after dropping expired ones).
  uint64_t bytes() const;
  size_t size() const;

 private:
  struct Item {
    StoredAudio audio;
    std::chrono::steady_clock::time_point stored_at;
  };

  // Both require mu_ held.
  void DropExpired(std::chrono::steady_clock::time_point now) const;
  void EvictOldest() const;

  const AudioStoreOptions opt_;
  const Clock now_;
  mutable std::mutex mu_;
  // Mutable: reads drop expired items too. Guarded by mu_.
  mutable std::unordered_map<std::string, Item> items_;
  mutable std::deque<std::string> order_;  // ids, oldest first
  mutable uint64_t bytes_ = 0;
};

}  // namespace harvis::pipeline
