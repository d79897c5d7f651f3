// Internal to the scheduler: one registered model (the registry entry) and its
// lifecycle state. Fields below "guarded by Scheduler::mu_" are only touched with that
// mutex held; the others are fixed after Scheduler::Create.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "engines/engine.h"
#include "scheduler/clock.h"
#include "scheduler/call_slots.h"
#include "scheduler/lifecycle.h"
#include "scheduler/usage_history.h"

namespace harvis {

constexpr size_t kNoDevice = std::numeric_limits<size_t>::max();

struct ModelEntry {
  ModelEntry(ModelConfig c, std::unique_ptr<Engine> e)
      : config(std::move(c)), engine(std::move(e)), slots(std::max(1, config.parallel)),
        owner("model:" + config.name) {}

  const ModelConfig config;
  const std::unique_ptr<Engine> engine;
  CallSlots slots;                    // `parallel` concurrent engine calls
  const std::string owner;            // ledger owner name
  std::vector<size_t> eligible;       // devices allowed by config.device
  int group = -1;                     // index into Scheduler::groups_, -1: none
  std::string tenant_name;            // the TenantSource's name for it; empty: not a tenant model

  // --- guarded by Scheduler::mu_ ---
  ModelState state = ModelState::kUnloaded;
  bool admitting = false;        // LOADING, victims still unloading, no reservation yet
  size_t device = kNoDevice;     // set while LOADING, READY, UNLOADING
  int leases = 0;
  bool unload_requested = false;  // a forced unload waits for leases; no new leases
  std::optional<Duration> keep_alive_override;
  Clock::TimePoint idle_since{};  // when the last lease ended (or the load finished)
  Clock::TimePoint last_used{};
  std::uint64_t reserved = 0;
  // A model split between its GPU and host RAM (partial offload): the layers on the GPU
  // (-1: not split) and the bytes reserved in host RAM for the rest (`reserved` is the GPU's).
  int gpu_layers = -1;
  std::uint64_t host_share = 0;
  std::uint64_t measured = 0;     // last measured footprint (persisted; both parts when split)
  double last_load_seconds = 0;   // persisted
  long load_count = 0;
  std::string last_error;
  int failures = 0;  // consecutive
  Clock::TimePoint retry_at{};
  UsageHistory usage;
  // Not prefetched until its next request: its weights could not be read, an admin (or
  // a low_vram turn) unloaded it on purpose, or it made room for the tenant.
  bool skip_prefetch = false;
  // Tenant models only: adopted from the tenant (loaded there, not by us), and the
  // real time of the last state or lease change (a reconciliation only trusts a
  // tenant answer fetched after it).
  bool adopted = false;
  std::chrono::steady_clock::time_point tenant_stamp{};
  // Cached eviction score parts (reload seconds, reuse likelihood), reused until
  // score_until: made stale by a request (usage) or a load (reload time, size).
  mutable double score_reload = 0;
  mutable double score_likelihood = 0;
  mutable Clock::TimePoint score_until{};  // {}: stale
  void InvalidateScore() { score_until = Clock::TimePoint{}; }

  // Whether the model occupies (or is about to occupy) its device's memory.
  bool Resident() const {
    return (state == ModelState::kLoading && !admitting) || state == ModelState::kReady ||
           state == ModelState::kUnloading;
  }
};

}  // namespace harvis
