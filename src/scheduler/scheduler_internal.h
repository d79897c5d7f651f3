// Internal to the scheduler's .cpp files: the private nested types of Scheduler.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/model_entry.h"
#include "scheduler/scheduler.h"

namespace harvis {

struct Scheduler::DeviceSlot {
  DeviceSlot(DeviceInfo i, int compute_units) : info(std::move(i)), compute(compute_units) {}
  const DeviceInfo info;
  ComputeQueue compute;        // GPU shares, or the host's CPU cores
  std::mutex load_mu;          // one load (or pressure eviction) at a time on this device
  std::uint64_t leaked = 0;    // guarded by Scheduler::mu_
};

// Victims that make room for a model on one device.
struct Scheduler::AdmitPlan {
  size_t device = kNoDevice;
  std::vector<ModelEntry*> victims;  // group members first (on any device), then pressure
  size_t group_victims = 0;          // how many of `victims` are group members
  double cost = 0;
  std::uint64_t leftover = 0;        // free bytes after the load (best fit)
  // A split (partial offload): gpu_layers on the device, host_bytes of `need` in host RAM.
  int gpu_layers = -1;
  std::uint64_t host_bytes = 0;
};

struct Scheduler::Placement {
  size_t device = kNoDevice;
  std::optional<AdmitPlan> plan;  // empty: nothing fits now; wait for `device`
};

struct Scheduler::LoadMode {
  Priority priority = Priority::kNormal;
  bool may_queue = true;
  std::optional<size_t> device;              // forced placement
  std::vector<const ModelEntry*> protect;    // never victims (prewarm)
  bool no_victims = false;                   // only free room (prefetch)
  std::chrono::steady_clock::time_point deadline;  // for queue and unload waits
};

// The request's place in the wait queue; removed (under mu_) when the request ends.
class Scheduler::QueueSlot {
 public:
  explicit QueueSlot(Scheduler& s) : s_(s) {}
  ~QueueSlot();  // requires Scheduler::mu_ held
  WaitQueue::Ticket* ticket = nullptr;

 private:
  Scheduler& s_;
};

inline const char* PriorityLabel(Priority p) {
  switch (p) {
    case Priority::kRealtime: return "realtime";
    case Priority::kNormal: return "normal";
    case Priority::kBatch: return "batch";
  }
  return "normal";
}

}  // namespace harvis
