// The residency scheduler (SPEC §4, issue 3): decides, per request, which model must
// be resident on which device, loads on demand, evicts what is cheapest to lose, keeps
// evicted weights warm in RAM, and never lets reservations exceed a device's budget.
//
// Per model (see lifecycle.h for the full diagram):
//
//   Acquire(m) ──READY──────────────────────────────────────────► ++leases ─► Lease
//        │                                                              │ ~Lease: --leases;
//        └─UNLOADED/FAILED─► choose device ─► device load lock ─► plan  │ idle: keep-alive
//                                                 │          │          ▼ clock starts
//                   no victim set frees enough ◄──┘          └─► victims UNLOADING ─►
//                   (wait in the per-priority queue,              reserve ─► LOADING ─►
//                    503 + Retry-After when full/late)            engine.Load ─► READY
//
// Guarantees: a READY model's Acquire takes only the scheduler mutex (never waits for a
// load); one load at a time per device; leased and pinned models are never evicted; two
// models of one exclusive group are never resident together; the sum of reservations
// never exceeds a device's budget (CheckInvariants()).
//
// Lock order (acquire top to bottom, never upwards; no recursive mutexes):
//   1. DeviceSlot::load_mu   — one device's load lock; a thread holds at most one.
//   2. Scheduler::mu_        — models' states, leases, the wait queue. Never held across
//                              engine calls, probe polling or file I/O.
//   3. RamTier::mu_
//   4. Ledger::mu_, FootprintStore::mu_, CallSlots::mu_ (parallel slots),
//      ComputeQueue::mu_, SchedulerMetrics (leaves).
// Engine calls run with no scheduler lock held (a lease keeps the engine loaded); they
// wait for compute (ComputeQueue) holding no lock. A load never waits for compute.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "engines/engine.h"
#include "scheduler/clock.h"
#include "scheduler/compute_queue.h"
#include "scheduler/call_slots.h"
#include "scheduler/eviction_policy.h"
#include "scheduler/footprint_store.h"
#include "scheduler/lease.h"
#include "scheduler/ledger.h"
#include "scheduler/lifecycle.h"
#include "scheduler/memory_probe.h"
#include "scheduler/ram_tier.h"
#include "scheduler/scheduler_metrics.h"
#include "scheduler/scheduler_types.h"
#include "scheduler/turn.h"
#include "scheduler/wait_queue.h"

namespace prometheus {
class Registry;
}

namespace harvis {

struct ModelEntry;  // internal: scheduler/model_entry.h

class Scheduler {
 public:
  // Builds a scheduler. `devices` must contain the host device (kind kCpu, id "cpu");
  // every model's engine is created from `deps.engines`. Fails (kFailedPrecondition)
  // when a model names an unknown device or can never fit (its declared or measured
  // footprint exceeds every eligible budget), or kInvalidArgument for a bad policy.
  static Result<std::unique_ptr<Scheduler>> Create(std::vector<ModelConfig> models,
                                                   std::vector<DeviceInfo> devices,
                                                   SchedulerOptions options, SchedulerDeps deps);
  // Stops the maintenance thread and unloads every model. All leases and turns must
  // have ended before.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the maintenance thread (keep-alive reaper for lru/keepalive, unload after
  // use under every policy; under `cost` an expired model stays resident and is merely
  // the first victim under pressure). Idempotent.
  void Start();
  // Stops it (joins). Idempotent; called by the destructor.
  void Stop();
  // Loads the `preload: true` models in priority order (realtime first); a failure is
  // reported in the result and the others still load. Blocking; thread-safe.
  std::vector<PreloadResult> Preload();

  // Leases `model`, loading it on demand (waiting in the queue when nothing fits).
  // Errors: kNotFound (unknown model), kUnavailable + Retry-After (FAILED, in back-off),
  // kResourceExhausted + Retry-After (queue full or waited past queue_timeout),
  // kFailedPrecondition (can never fit). Thread-safe; the Lease must not outlive *this.
  Result<Lease> Acquire(const std::string& model, const AcquireOptions& options = {});
  // Loads `model` and returns when it is READY (admin route). keep_alive overrides the
  // configured one until the next unload; device pins the placement (kConflict when it
  // is resident on another device). Thread-safe.
  Status Load(const std::string& model, const LoadOptions& options = {});
  // Unloads `model` and returns when it is UNLOADED. While leased: kConflict, unless
  // `force`, which blocks new leases and waits for the current ones to end. Thread-safe.
  Status Unload(const std::string& model, bool force);
  // Starts a voice turn that announces its pipeline (model names, "" = stage skipped).
  // The Turn leases each stage's model for the rest of the turn and prewarms the next.
  Turn BeginTurn(std::vector<std::string> pipeline, Priority priority = Priority::kRealtime);
  // Loads `model` now unless that would evict a model in `keep` or any leased model;
  // never queues. Once READY it is leased at `priority` for the caller, so that nothing
  // evicts it before the turn reaches its stage (an empty Lease when it was not loaded:
  // keep_alive 0, or another request is loading it). Used by Turn in the background.
  // Thread-safe.
  Result<Lease> Prewarm(const std::string& model, const std::vector<std::string>& keep,
                        Priority priority);
  // Dry run of an admission decision: where `model` would go and whom it would evict.
  Result<AdmissionPlan> Plan(const std::string& model) const;

  // One pass of the keep-alive reaper (Start() runs it periodically). Thread-safe.
  void RunMaintenance();
  // One prefetch step (Start() runs it after each maintenance pass), under policies
  // that prefetch and while no request waits and no load runs: loads the most needed
  // model whose weights are in the RAM tier onto a device with room (no eviction);
  // else reads the most needed model's weights into the RAM tier's free room. "Most
  // needed": reload time x reuse likelihood (or the soonest next use, with a forecast).
  // Returns whether it moved a model. Blocking (reads a file); thread-safe.
  bool RunPrefetch();
  // One reconciliation with the TenantSource (Start() runs it every tenant_interval
  // and soon after each request to a tenant model): adopts what the tenant loaded
  // itself, forgets what it dropped. No-op without a tenant or tenant models.
  void ReconcileTenant();

  // Snapshots for the admin routes (/api/ps, /api/models, /api/resources). Thread-safe.
  std::vector<ModelSnapshot> ListModels() const;
  Result<ModelSnapshot> GetModel(const std::string& model) const;
  std::vector<DeviceSnapshot> ListDevices() const;
  // OK when every invariant holds: budgets, leases only on READY models, exclusive
  // groups, ledger entries matching model states. Thread-safe.
  Status CheckInvariants() const;

  // Receives every lifecycle event, called under the scheduler mutex: it must be quick
  // and must not call back into the scheduler. Set before Start() and any request.
  void SetEventListener(EventListener listener);

  const EvictionPolicy& policy() const { return *policy_; }
  // The host's compute queue (its CPU cores).
  ComputeQueue& cpu();
  bool HasModel(const std::string& model) const;
  const SchedulerOptions& options() const { return options_; }

 private:
  friend class Lease;
  struct DeviceSlot;
  struct AdmitPlan;
  struct LoadMode;
  class QueueSlot;
  using Lock = std::unique_lock<std::mutex>;
  enum class Attempt { kLoaded, kRetry, kNoRoom };

  Scheduler(SchedulerOptions options, SchedulerDeps deps, std::unique_ptr<EvictionPolicy> policy,
            size_t host_index);
  Status AddDevices(const std::vector<DeviceInfo>& devices);
  Status AddModels(std::vector<ModelConfig> models);
  Status CheckFitsSomewhere(const ModelEntry& m) const;

  Result<Lease> AcquireLocked(const std::string& model, const AcquireOptions& options);
  Status LoadLocked(const std::string& model, const LoadOptions& options);
  Result<Lease> PrewarmLocked(const std::string& model, const std::vector<std::string>& keep,
                              Priority priority);
  // A new lease on READY `m`. Requires mu_.
  Lease LeaseLocked(ModelEntry& m, Priority priority);

  // --- admission and loading (scheduler_load.cpp) ---
  Status EnsureLoaded(ModelEntry& m, const LoadMode& mode, Lock& lk);
  Result<Attempt> AttemptLoad(ModelEntry& m, const LoadMode& mode, Lock& lk);
  Status WaitForRoom(ModelEntry& m, const LoadMode& mode, QueueSlot& slot, Lock& lk);
  // The device with the cheapest plan (cost, GPU before host, best fit); when nothing
  // fits now, the device to wait for (plan empty).
  struct Placement;
  Result<Placement> ChooseDevice(const ModelEntry& m, std::uint64_t need,
                                 const LoadMode& mode) const;
  std::optional<AdmitPlan> PlanOn(const ModelEntry& m, size_t device, std::uint64_t need,
                                  const LoadMode& mode) const;
  // Partial offload (scheduler_split.cpp): the model's layers split between GPU `device`
  // and host RAM, in the room free now; nullopt when not worth it or not possible.
  std::optional<AdmitPlan> PlanSplitOn(const ModelEntry& m, size_t device, std::uint64_t need,
                                       const LoadMode& mode) const;
  // Whether a split on GPU `device` could ever hold `need` (half its layers there).
  bool MaySplitOn(const ModelEntry& m, size_t device, std::uint64_t need) const;
  void ReleaseHostShare(ModelEntry& m);
  bool Evictable(const ModelEntry& m, const LoadMode& mode) const;
  Status ReserveFor(ModelEntry& m, const AdmitPlan& plan, std::uint64_t need, Lock& lk);
  Status RunEngineLoad(ModelEntry& m, size_t device, Lock& lk);
  Status FinishFailedLoad(ModelEntry& m, Status why);
  void FinishGoodLoad(ModelEntry& m, std::uint64_t measured, double seconds);
  std::uint64_t Measure(ModelEntry& m, size_t device, std::optional<std::uint64_t> before);

  // --- unloading (scheduler_unload.cpp) ---
  void BeginUnload(ModelEntry& m, const std::string& reason);
  void UnloadEngine(ModelEntry& m, const std::string& reason, Lock& lk);
  std::uint64_t VerifyCleanup(const std::string& device, std::optional<std::uint64_t> before,
                              std::uint64_t bytes);
  // Whether the reaper unloads `m` now (keep_alive 0, or expired under lru/keepalive).
  bool Expired(const ModelEntry& m, Clock::TimePoint now) const;
  // Whether `m` has been idle for at least its keep-alive (a preferred victim).
  bool IdleExpired(const ModelEntry& m, Duration keep_alive, Clock::TimePoint now) const;
  Duration KeepAlive(const ModelEntry& m) const;
  void MaintenanceLoop();
  void PublishCompute();  // compute gauges of every device (maintenance thread)
  // Releases the ledger entry of a model whose memory is already gone (the engine
  // unloaded it, or the tenant dropped it); requires mu_, state UNLOADING.
  void FinishUnload(ModelEntry& m, const std::string& reason, std::uint64_t leaked);
  // Evicts every idle, unpinned model of ours (not a tenant model) on `device`: the
  // tenant ran out of memory. Requires the device's load lock and mu_ (via lk).
  int EvictOwnIdleOn(size_t device, Lock& lk);
  // The same from a lease whose tenant call ran out of memory (takes the locks).
  int FreeRoomForTenant(ModelEntry& m);
  void Touch(ModelEntry& m);  // tenant models: tenant_stamp = now
  void SaveMeasurements();  // writes the footprint store if a load changed it; no locks held

  // --- prefetch (scheduler_prefetch.cpp) ---
  bool PrefetchToDevice();
  bool PrefetchToRamTier();
  // How much `m` is needed next (higher: sooner or costlier), nullopt: not at all.
  // Requires mu_.
  std::optional<double> NeedScore(const ModelEntry& m, Clock::TimePoint now) const;
  // The unloaded model with the highest NeedScore among those `candidate` accepts
  // (models skipped for prefetch excluded), or null. Requires mu_.
  ModelEntry* MostNeeded(const std::function<bool(const ModelEntry&)>& candidate) const;
  // No request waits for room and no model is loading or unloading. Requires mu_.
  bool Quiet() const;

  // --- helpers (scheduler.cpp) ---
  ModelEntry* Find(const std::string& model) const;
  std::uint64_t PredictBytes(const ModelEntry& m) const;
  double ReloadSeconds(const ModelEntry& m) const;
  // Fills reload seconds and reuse likelihood of `m` at `now` from its cached score
  // (recomputed when stale). Requires mu_.
  void ScoreOf(const ModelEntry& m, Clock::TimePoint now, double* reload, double* likelihood) const;
  void SetState(ModelEntry& m, ModelState to);
  void Emit(SchedulerEvent::Kind kind, const ModelEntry& m, const std::string& detail);
  void NotifyChange();  // new epoch: capacity or states changed; wakes waiters
  void ReleaseLease(ModelEntry& m);
  ModelSnapshot SnapshotOf(const ModelEntry& m, Clock::TimePoint now) const;
  const std::string& DeviceId(size_t device) const;

  const SchedulerOptions options_;
  const EngineRegistry* engines_;
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<DeviceMemoryProbe> probe_;
  std::shared_ptr<TenantSource> tenant_;
  std::shared_ptr<const UsageForecast> forecast_;
  bool has_tenant_models_ = false;  // fixed after Create
  std::unique_ptr<EvictionPolicy> policy_;
  const size_t host_;  // index of the host device in devices_

  Ledger ledger_;
  SchedulerMetrics metrics_;
  RamTier ram_tier_;
  FootprintStore store_;
  std::vector<std::unique_ptr<DeviceSlot>> devices_;
  std::vector<std::unique_ptr<ModelEntry>> models_;  // fixed after Create
  std::unordered_map<std::string, ModelEntry*> by_name_;
  std::vector<std::vector<ModelEntry*>> groups_;
  EventListener listener_;

  mutable std::mutex mu_;
  // Buffers of PlanOn reused between admissions (guarded by mu_).
  struct PlanScratch {
    std::vector<VictimCandidate> candidates;
    std::vector<ModelEntry*> owners;
    std::vector<size_t> chosen;
    EvictionPolicy::Scratch select;
  };
  mutable PlanScratch scratch_;
  std::condition_variable cv_;  // any model state / lease / queue change
  std::uint64_t epoch_ = 0;     // bumped when room may have been freed
  WaitQueue queue_;
  std::condition_variable maintenance_cv_;
  bool maintenance_wanted_ = false;
  bool tenant_wanted_ = false;  // a tenant model was used: reconcile soon
  std::atomic<bool> store_dirty_{false};
  bool stopping_ = false;
  std::thread maintenance_;
};

// Options and devices from the parsed configuration (SPEC §3). `allocated_cores`
// (cgroup quota) and `host_ram_budget` (container limit x ram_fraction) come from the
// resources layer. With `devices: auto` the GPUs are `detected_gpus` (from NVML; their
// `total` is the card's memory); otherwise the configured devices, keeping their ids.
// GPU budgets are min(memory, budgets.gpu_memory); the host device "cpu" is added when
// the list has none.
SchedulerOptions SchedulerOptionsFromConfig(const Config& config, double allocated_cores,
                                            std::uint64_t host_ram_budget);
std::vector<DeviceInfo> DevicesFromConfig(const Config& config, std::uint64_t host_ram_budget,
                                          const std::vector<DeviceInfo>& detected_gpus = {});

}  // namespace harvis
