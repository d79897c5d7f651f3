// Plain types of the scheduler's public API: construction options, request options,
// snapshots for the admin routes, and lifecycle events.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "core/units.h"

namespace prometheus {
class Registry;
}

namespace harvis {

class Clock;
class DeviceMemoryProbe;
class EngineRegistry;

// A device the scheduler places models on: each GPU, and host RAM (id "cpu").
struct DeviceInfo {
  std::string id;
  DeviceKind kind = DeviceKind::kGpu;
  std::uint64_t total = 0;   // physical bytes (informational)
  std::uint64_t budget = 0;  // what the ledger allows
  bool simulated = false;    // a test double: accounts memory only
  int gpu_index = -1;        // CUDA ordinal of a real GPU
};

struct SchedulerOptions {
  std::string policy = "cost";  // cost | lru | keepalive | unload-after-use
  size_t queue_size = 256;      // per priority
  Duration queue_timeout = std::chrono::seconds(30);
  std::uint64_t ram_tier_capacity = 0;  // bytes of host RAM for evicted weights; 0: off
  double cpu_cores = 1;                 // allocated cores x cpu_fraction
  std::string state_dir;                // empty: measurements are not persisted
  Duration maintenance_interval = std::chrono::seconds(1);
  Duration reuse_horizon = std::chrono::seconds(60);  // "needed again soon"
  int cleanup_polls = 10;  // cleanup verification after an unload
  Duration cleanup_poll_interval = std::chrono::milliseconds(50);
  std::uint64_t cleanup_tolerance = 16 * kMiB;
};

struct SchedulerDeps {
  const EngineRegistry* engines = nullptr;    // required; must outlive the scheduler
  std::shared_ptr<const Clock> clock;         // default: SteadyClock
  std::shared_ptr<DeviceMemoryProbe> probe;   // default: none (engine footprints)
  prometheus::Registry* metrics = nullptr;    // optional; must outlive the scheduler
};

struct AcquireOptions {
  std::optional<Priority> priority;  // default: the model's configured priority
};

struct LoadOptions {
  std::optional<Duration> keep_alive;  // until the next unload; kForever allowed
  std::optional<std::string> device;   // a device id, "cpu" or "gpu"
};

struct ModelSnapshot {
  std::string name;
  ModelKind kind = ModelKind::kStt;
  std::string engine;
  std::string state;   // ModelStateName
  std::string device;  // empty when not resident
  std::uint64_t bytes = 0;  // current reservation
  int leases = 0;
  bool pinned = false;
  std::string group;
  Priority priority = Priority::kNormal;
  Duration keep_alive{0};  // effective; kForever = never expires
  std::optional<std::chrono::system_clock::time_point> expires_at;  // idle and expiring
  std::string last_error;
  std::optional<int> retry_after_seconds;  // FAILED and in back-off
  std::uint64_t measured_bytes = 0;  // last measured footprint (persisted)
  long load_count = 0;
  double last_load_seconds = 0;
  bool in_ram_tier = false;
  long requests = 0;
};

struct DeviceSnapshot {
  std::string id;
  DeviceKind kind = DeviceKind::kGpu;
  bool simulated = false;
  std::uint64_t total = 0;
  std::uint64_t budget = 0;
  std::uint64_t reserved = 0;
  std::uint64_t ram_tier_bytes = 0;  // host only: part of `reserved`
  std::uint64_t leaked_bytes = 0;
  std::vector<std::string> models;  // resident (loading, ready, unloading)
};

struct PreloadResult {
  std::string model;
  Status status;
};

// A dry-run admission decision (Scheduler::Plan, `harvis plan`).
struct AdmissionPlan {
  std::string model;
  std::string device;
  std::uint64_t bytes = 0;  // predicted footprint
  bool resident = false;    // already loading or loaded
  bool fits = false;        // false: it would wait in the queue
  std::vector<std::string> victims;
  double cost = 0;  // sum of reload seconds x reuse likelihood of the victims
};

struct SchedulerEvent {
  enum class Kind { kLoadStarted, kReady, kLoadFailed, kUnloadStarted, kUnloaded };
  Kind kind;
  std::string model;
  std::string device;
  std::string detail;  // unload reason (pressure, group, expired, admin, shutdown) or error
  int leases = 0;      // at the time of the event
  bool pinned = false;
};
using EventListener = std::function<void(const SchedulerEvent&)>;

}  // namespace harvis
