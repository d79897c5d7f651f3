// Admin calls (load, preload, prewarm, plan), snapshots for the HTTP layer, the
// invariant checker, and construction helpers from the configuration.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "scheduler/scheduler_internal.h"

namespace harvis {

Status Scheduler::Load(const std::string& model, const LoadOptions& options) {
  Status st = LoadLocked(model, options);
  SaveMeasurements();
  return st;
}

Status Scheduler::LoadLocked(const std::string& model, const LoadOptions& options) {
  Lock lk(mu_);
  ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  LoadMode mode;
  mode.priority = m->config.priority;
  mode.deadline = std::chrono::steady_clock::now() + options_.queue_timeout;
  if (options.device && *options.device != "auto") {
    std::optional<size_t> chosen;
    for (size_t d = 0; d < devices_.size() && !chosen; ++d) {
      if (devices_[d]->info.id == *options.device) chosen = d;
    }
    for (size_t d = 0; d < devices_.size() && !chosen; ++d) {  // "gpu": the first GPU
      if (*options.device == "gpu" && devices_[d]->info.kind == DeviceKind::kGpu) chosen = d;
    }
    if (!chosen) return Status(ErrorCode::kNotFound, "device '" + *options.device + "' not found");
    if (m->device != kNoDevice && m->device != *chosen) {
      return Status(ErrorCode::kConflict, "model '" + model + "' is resident on " +
                                              DeviceId(m->device) + "; unload it first");
    }
    mode.device = chosen;
  }
  if (Status st = EnsureLoaded(*m, mode, lk); !st.ok()) return st;
  if (options.keep_alive) m->keep_alive_override = *options.keep_alive;
  m->idle_since = clock_->Now();
  if (m->leases == 0 && KeepAlive(*m) == Duration(0)) {
    maintenance_wanted_ = true;
    maintenance_cv_.notify_one();
  }
  return Status::Ok();
}

std::vector<PreloadResult> Scheduler::Preload() {
  std::vector<ModelEntry*> order;
  for (const auto& m : models_) {
    if (m->config.preload) order.push_back(m.get());
  }
  std::stable_sort(order.begin(), order.end(), [](const ModelEntry* a, const ModelEntry* b) {
    return static_cast<int>(a->config.priority) < static_cast<int>(b->config.priority);
  });
  std::vector<PreloadResult> results;
  for (ModelEntry* m : order) {
    Lock lk(mu_);
    LoadMode mode;
    mode.priority = m->config.priority;
    mode.may_queue = false;
    mode.deadline = std::chrono::steady_clock::now() + options_.queue_timeout;
    Status st = EnsureLoaded(*m, mode, lk);
    if (!st.ok()) spdlog::error("preload of '{}' failed: {}", m->config.name, st.message());
    results.push_back({m->config.name, st});
  }
  SaveMeasurements();
  return results;
}

Result<Lease> Scheduler::Prewarm(const std::string& model, const std::vector<std::string>& keep,
                                  Priority priority) {
  Result<Lease> lease = PrewarmLocked(model, keep, priority);
  SaveMeasurements();
  return lease;
}

Result<Lease> Scheduler::PrewarmLocked(const std::string& model, const std::vector<std::string>& keep,
                                       Priority priority) {
  Lock lk(mu_);
  ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  if (m->state == ModelState::kLoading) return Lease();  // another request loads it
  if (m->state != ModelState::kReady) {
    if (KeepAlive(*m) == Duration(0)) return Lease();  // it would be unloaded at once
    LoadMode mode;
    mode.priority = m->config.priority;
    mode.may_queue = false;
    mode.deadline = std::chrono::steady_clock::now() + options_.queue_timeout;
    for (const std::string& name : keep) {
      if (const ModelEntry* k = Find(name)) mode.protect.push_back(k);
    }
    if (Status st = EnsureLoaded(*m, mode, lk); !st.ok()) return st;
  }
  if (m->state != ModelState::kReady || m->unload_requested) return Lease();
  // The turn's request for this model: from now on it is held for the turn.
  m->usage.Record(clock_->Now());
  m->InvalidateScore();
  return LeaseLocked(*m, priority);
}

Result<AdmissionPlan> Scheduler::Plan(const std::string& model) const {
  Lock lk(mu_);
  const ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  AdmissionPlan out;
  out.model = model;
  out.bytes = PredictBytes(*m);
  if (m->device != kNoDevice) {
    out.device = DeviceId(m->device);
    out.resident = out.fits = true;
    return out;
  }
  LoadMode mode;
  auto placement = ChooseDevice(*m, out.bytes, mode);
  if (!placement.ok()) return placement.status();
  out.device = DeviceId(placement->device);
  if (const auto& plan = placement->plan) {
    out.fits = true;
    out.cost = plan->cost;
    out.gpu_layers = plan->gpu_layers;
    out.host_bytes = plan->host_bytes;
    for (const ModelEntry* v : plan->victims) out.victims.push_back(v->config.name);
  }
  return out;
}

ModelSnapshot Scheduler::SnapshotOf(const ModelEntry& m, Clock::TimePoint now) const {
  ModelSnapshot s;
  s.name = m.config.name;
  s.kind = m.config.kind;
  s.engine = m.config.engine;
  s.state = ModelStateName(m.state);
  s.device = m.device == kNoDevice ? "" : DeviceId(m.device);
  s.bytes = m.reserved;
  s.leases = m.leases;
  s.pinned = m.config.pinned;
  s.group = m.config.group;
  s.priority = m.config.priority;
  s.keep_alive = KeepAlive(m);
  if (m.state == ModelState::kReady && m.leases == 0 && s.keep_alive != kForever) {
    const auto left = (m.idle_since + s.keep_alive) - now;
    s.expires_at = std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
    s.expired = left <= Duration(0);
  }
  if (m.adopted && tenant_) s.tenant = tenant_->label();
  s.last_error = m.last_error;
  if (m.state == ModelState::kFailed && now < m.retry_at) {
    s.retry_after_seconds = std::max(1, static_cast<int>(std::ceil(SecondsBetween(now, m.retry_at))));
  }
  s.gpu_layers = m.gpu_layers;
  s.host_bytes = m.host_share;
  s.measured_bytes = m.measured;
  s.load_count = m.load_count;
  s.last_load_seconds = m.last_load_seconds;
  s.in_ram_tier = ram_tier_.Contains(m.config.name);
  s.requests = m.usage.requests();
  return s;
}

std::vector<ModelSnapshot> Scheduler::ListModels() const {
  Lock lk(mu_);
  const Clock::TimePoint now = clock_->Now();
  std::vector<ModelSnapshot> out;
  out.reserve(models_.size());
  for (const auto& m : models_) out.push_back(SnapshotOf(*m, now));
  return out;
}

Result<ModelSnapshot> Scheduler::GetModel(const std::string& model) const {
  Lock lk(mu_);
  const ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  return SnapshotOf(*m, clock_->Now());
}

std::vector<DeviceSnapshot> Scheduler::ListDevices() const {
  Lock lk(mu_);
  std::vector<DeviceSnapshot> out;
  for (size_t d = 0; d < devices_.size(); ++d) {
    const DeviceInfo& info = devices_[d]->info;
    DeviceSnapshot s{info.id, info.kind, info.simulated, info.total, info.budget,
                     ledger_.Reserved(info.id), d == host_ ? ram_tier_.bytes() : 0,
                     devices_[d]->leaked, {}};
    for (const auto& m : models_) {
      if (m->device == d) s.models.push_back(m->config.name);
    }
    const ComputeQueue::Stats compute = devices_[d]->compute.stats();
    s.compute_capacity = compute.capacity;
    s.compute_in_use = compute.in_use;
    std::copy(std::begin(compute.waiting), std::end(compute.waiting), s.compute_waiting);
    s.compute_yields = compute.yields;
    out.push_back(std::move(s));
  }
  return out;
}

Status Scheduler::CheckInvariants() const {
  Lock lk(mu_);
  if (Status st = ledger_.CheckInvariant(); !st.ok()) return st;
  for (const auto& d : devices_) {
    const ComputeQueue::Stats c = d->compute.stats();
    if (c.in_use > c.capacity || c.max_in_use > c.capacity || c.inversions > 0) {
      return Status(ErrorCode::kInternal,
                    "device '" + d->info.id + "' compute: " + std::to_string(c.max_in_use) +
                        " units at most of " + std::to_string(c.capacity) + ", " +
                        std::to_string(c.inversions) + " grants ahead of a waiting realtime call");
    }
  }
  for (const auto& m : models_) {
    const std::string& name = m->config.name;
    if (m->leases < 0 || (m->leases > 0 && m->state != ModelState::kReady)) {
      return Status(ErrorCode::kInternal, "model '" + name + "' has " +
                                              std::to_string(m->leases) + " leases while " +
                                              ModelStateName(m->state));
    }
    const bool holds = m->Resident();
    const std::uint64_t in_ledger =
        m->device == kNoDevice ? 0 : ledger_.ReservationOf(DeviceId(m->device), m->owner);
    if ((holds && in_ledger != m->reserved) || (!holds && m->reserved != 0)) {
      return Status(ErrorCode::kInternal, "model '" + name + "' reservation mismatch");
    }
    const bool split = m->device != kNoDevice && m->device != host_ && m->host_share > 0;
    const std::uint64_t on_host = split ? ledger_.ReservationOf(DeviceId(host_), m->owner) : 0;
    if ((split && on_host != m->host_share) || (!holds && m->host_share != 0)) {
      return Status(ErrorCode::kInternal, "model '" + name + "' host share mismatch");
    }
  }
  for (const auto& group : groups_) {
    int resident = 0;
    for (const ModelEntry* g : group) resident += g->Resident() ? 1 : 0;
    if (resident > 1) {
      return Status(ErrorCode::kInternal,
                    "exclusive group '" + group.front()->config.group + "' has " +
                        std::to_string(resident) + " resident models");
    }
  }
  return Status::Ok();
}

SchedulerOptions SchedulerOptionsFromConfig(const Config& config, double allocated_cores,
                                            std::uint64_t host_ram_budget) {
  SchedulerOptions o;
  o.policy = config.scheduler.policy;
  o.queue_size = static_cast<size_t>(std::max(0, config.scheduler.queue_size));
  o.queue_timeout = config.scheduler.queue_timeout;
  o.cpu_cores = allocated_cores * config.budgets.cpu_fraction;
  o.gpu_concurrency = config.scheduler.gpu_concurrency;
  o.prefetch = config.scheduler.prefetch;
  o.ram_tier_capacity = host_ram_budget;  // a cache: host-placed models take it back
  o.state_dir = config.state_dir;
  o.tenant_device = config.ollama.device;
  return o;
}

std::vector<DeviceInfo> DevicesFromConfig(const Config& config, std::uint64_t host_ram_budget,
                                          const std::vector<DeviceInfo>& detected_gpus) {
  std::vector<DeviceInfo> out;
  bool have_host = false;
  int gpu_index = 0;
  if (config.devices_auto) {
    for (DeviceInfo gpu : detected_gpus) {
      gpu.budget = std::min(gpu.total, config.budgets.gpu_memory);
      out.push_back(gpu);
    }
  } else {
    for (const DeviceConfig& d : config.devices) {
      DeviceInfo info;
      info.id = d.id;
      info.kind = d.kind;
      info.total = d.memory;
      info.simulated = d.simulated;
      info.concurrency = d.concurrency;
      if (d.kind == DeviceKind::kGpu) {
        info.budget = std::min(d.memory, config.budgets.gpu_memory);
        info.gpu_index = d.simulated ? -1 : gpu_index++;
      } else {
        info.id = "cpu";  // the host device always has this id
        info.budget = d.memory > 0 ? std::min(d.memory, host_ram_budget) : host_ram_budget;
        have_host = true;
      }
      out.push_back(info);
    }
  }
  if (!have_host) {
    out.push_back(DeviceInfo{"cpu", DeviceKind::kCpu, host_ram_budget, host_ram_budget, false, -1});
  }
  return out;
}

}  // namespace harvis
