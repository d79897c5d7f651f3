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
  int concurrency = 0;       // GPU: concurrent engine calls; 0: SchedulerOptions default
};

struct SchedulerOptions {
  std::string policy = "cost";  // cost | lru | keepalive | unload-after-use
  size_t queue_size = 256;      // per priority
  Duration queue_timeout = std::chrono::seconds(30);
  std::uint64_t ram_tier_capacity = 0;  // bytes of host RAM for evicted weights; 0: off
  double cpu_cores = 1;                 // allocated cores x cpu_fraction: the host's compute
  int gpu_concurrency = 8;              // compute shares of a GPU without its own setting
  // Under policies that prefetch (cost): while nothing waits, weights of the models most
  // likely needed next go into the RAM tier, and from there onto a device with room.
  bool prefetch = true;
  std::string state_dir;                // empty: measurements are not persisted
  Duration maintenance_interval = std::chrono::seconds(1);
  Duration reuse_horizon = std::chrono::seconds(60);  // "needed again soon"
  int cleanup_polls = 10;  // cleanup verification after an unload
  Duration cleanup_poll_interval = std::chrono::milliseconds(50);
  std::uint64_t cleanup_tolerance = 16 * kMiB;
  // The device a TenantSource's models live on (`ollama.device`): auto = the first GPU,
  // else host RAM; or a device id. Tenant models with `device: auto` are placed there.
  std::string tenant_device = "auto";
  Duration tenant_interval = std::chrono::seconds(3);  // reconciliation period
};

// A model resident in another server that shares a device's memory (Ollama, SPEC §4
// "Ollama as a tenant"), as that server reports it.
struct TenantResident {
  std::string name;          // the tenant's own name for it
  std::uint64_t bytes = 0;   // on the tenant's device (Ollama: size_vram)
};

// The other server whose models are in the same ledger. The scheduler reconciles with
// Resident() in its maintenance thread: a registered tenant model the tenant holds but
// the scheduler thinks UNLOADED is adopted as READY with its bytes reserved (or evicted
// from the tenant when it does not fit); one the scheduler thinks READY that the tenant
// dropped (its own keep-alive) becomes UNLOADED. Implemented by the app (Ollama).
// Called without any scheduler lock held; must be thread-safe.
class TenantSource {
 public:
  virtual ~TenantSource() = default;
  // "ollama": shown as the tenant of adopted models.
  virtual std::string label() const = 0;
  // The tenant's name for `model` when the model belongs to the tenant, else nullopt.
  virtual std::optional<std::string> TenantName(const ModelConfig& model) const = 0;
  // What the tenant holds now.
  virtual Result<std::vector<TenantResident>> Resident() = 0;
  // Makes the tenant drop `name` (by its tenant name).
  virtual Status Evict(const std::string& name) = 0;
};

// Knowledge of future requests: the clairvoyant reference policy of the benchmarks
// (bench/trace_replay_bench) uses it; a server has none. Must be thread-safe.
class UsageForecast {
 public:
  virtual ~UsageForecast() = default;
  // Seconds from `now` until `model` is needed next; infinity when never again.
  virtual double SecondsToNextUse(const std::string& model, std::chrono::steady_clock::time_point now) const = 0;
};

struct SchedulerDeps {
  const EngineRegistry* engines = nullptr;    // required; must outlive the scheduler
  std::shared_ptr<const Clock> clock;         // default: SteadyClock
  std::shared_ptr<DeviceMemoryProbe> probe;   // default: none (engine footprints)
  prometheus::Registry* metrics = nullptr;    // optional; must outlive the scheduler
  std::shared_ptr<TenantSource> tenant;       // optional (Ollama as a tenant)
  std::shared_ptr<const UsageForecast> forecast;  // required by policy "clairvoyant" only
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
  std::uint64_t bytes = 0;  // current reservation on `device`
  // Split between `device` and host RAM (partial offload): its layers on the device, and
  // the bytes reserved in host RAM for the rest; -1 and 0 when not split.
  int gpu_layers = -1;
  std::uint64_t host_bytes = 0;
  int leases = 0;
  bool pinned = false;
  std::string group;
  Priority priority = Priority::kNormal;
  Duration keep_alive{0};  // effective; kForever = never expires
  // Idle and not kept forever: when its keep-alive ends (or ended). Under lru and
  // keepalive the model is unloaded then; under cost it stays resident and, once this
  // time has passed (`expired`), is the first victim when memory is needed.
  std::optional<std::chrono::system_clock::time_point> expires_at;
  bool expired = false;            // idle past its keep-alive (still resident under cost)
  std::string tenant = "harvis";   // who loaded it: "harvis", or "ollama" when adopted
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
  // Compute: GPU shares or host cores, in use and waiting (by priority).
  int compute_capacity = 0;
  int compute_in_use = 0;
  int compute_waiting[3] = {0, 0, 0};  // realtime, normal, batch
  long compute_yields = 0;             // units handed over between tokens, ever
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
  double cost = 0;  // sum of reload seconds x reuse likelihood of the victims (or of a split)
  int gpu_layers = -1;          // a split: the layers that would go on `device`
  std::uint64_t host_bytes = 0;  // a split: the bytes that would stay in host RAM
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
