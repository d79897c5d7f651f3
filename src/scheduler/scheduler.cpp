// Scheduler construction (the registry of models and devices), the lease fast path and
// small helpers. Admission and loading: scheduler_load.cpp; unloading and keep-alive:
// scheduler_unload.cpp; admin calls and snapshots: scheduler_admin.cpp.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "scheduler/scheduler_internal.h"

namespace harvis {
namespace {

// The devices a model may be placed on, from its `device` field.
Result<std::vector<size_t>> EligibleDevices(const ModelConfig& m,
                                            const std::vector<DeviceInfo>& devices) {
  std::vector<size_t> out;
  for (size_t i = 0; i < devices.size(); ++i) {
    const DeviceInfo& d = devices[i];
    const bool ok = m.device == "auto" || m.device.empty() || m.device == d.id ||
                    (m.device == "cpu" && d.kind == DeviceKind::kCpu) ||
                    (m.device == "gpu" && d.kind == DeviceKind::kGpu);
    if (ok) out.push_back(i);
  }
  if (out.empty()) {
    return Status(ErrorCode::kFailedPrecondition,
                  "model '" + m.name + "': device '" + m.device + "' does not exist");
  }
  return out;
}

}  // namespace

Scheduler::QueueSlot::~QueueSlot() {
  if (ticket == nullptr) return;
  const Priority p = ticket->priority;
  s_.queue_.Remove(ticket);
  s_.metrics_.SetQueueDepth(PriorityLabel(p), s_.queue_.Depth(p));
  s_.cv_.notify_all();  // tickets behind this one may now attempt
}

Scheduler::Scheduler(SchedulerOptions options, SchedulerDeps deps,
                     std::unique_ptr<EvictionPolicy> policy, size_t host_index)
    : options_(std::move(options)),
      engines_(deps.engines),
      clock_(deps.clock ? deps.clock : std::make_shared<SteadyClock>()),
      probe_(std::move(deps.probe)),
      tenant_(std::move(deps.tenant)),
      forecast_(std::move(deps.forecast)),
      policy_(std::move(policy)),
      host_(host_index),
      metrics_(deps.metrics),
      ram_tier_(ledger_, "cpu", options_.ram_tier_capacity),
      store_(options_.state_dir.empty() ? "" : FootprintStore::PathIn(options_.state_dir)),
      queue_(options_.queue_size) {}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(std::vector<ModelConfig> models,
                                                     std::vector<DeviceInfo> devices,
                                                     SchedulerOptions options, SchedulerDeps deps) {
  if (deps.engines == nullptr) {
    return Status(ErrorCode::kInvalidArgument, "scheduler: no engine registry");
  }
  auto policy = MakeEvictionPolicy(options.policy);
  if (!policy.ok()) return policy.status();
  if ((*policy)->NeedsForecast() && !deps.forecast) {
    return Status(ErrorCode::kInvalidArgument, "scheduler policy '" + options.policy +
                                                   "' needs a forecast of future requests (benchmarks only)");
  }
  auto host = std::find_if(devices.begin(), devices.end(), [](const DeviceInfo& d) {
    return d.kind == DeviceKind::kCpu && d.id == "cpu";
  });
  if (host == devices.end()) {
    return Status(ErrorCode::kInvalidArgument, "scheduler: no host device with id 'cpu'");
  }
  const size_t host_index = static_cast<size_t>(host - devices.begin());
  std::unique_ptr<Scheduler> s(
      new Scheduler(std::move(options), std::move(deps), std::move(policy).value(), host_index));
  if (Status st = s->store_.Load(); !st.ok()) spdlog::warn("{}", st.message());
  if (Status st = s->AddDevices(devices); !st.ok()) return st;
  if (Status st = s->AddModels(std::move(models)); !st.ok()) return st;
  return s;
}

Status Scheduler::AddDevices(const std::vector<DeviceInfo>& devices) {
  for (const DeviceInfo& d : devices) {
    for (const auto& existing : devices_) {
      if (existing->info.id == d.id) {
        return Status(ErrorCode::kInvalidArgument, "scheduler: duplicate device '" + d.id + "'");
      }
    }
    const int compute = d.kind == DeviceKind::kCpu
                            ? static_cast<int>(std::floor(options_.cpu_cores))
                            : (d.concurrency > 0 ? d.concurrency : options_.gpu_concurrency);
    devices_.push_back(std::make_unique<DeviceSlot>(d, compute));
    ledger_.AddDevice(d.id, d.budget);
    metrics_.SetDeviceBudget(d.id, d.budget);
    metrics_.SetDeviceReserved(d.id, 0);
  }
  ledger_.SetObserver([this](const std::string& device, std::uint64_t reserved) {
    metrics_.SetDeviceReserved(device, reserved);
  });
  for (Priority p : {Priority::kRealtime, Priority::kNormal, Priority::kBatch}) {
    metrics_.SetQueueDepth(PriorityLabel(p), 0);
  }
  PublishCompute();
  return Status::Ok();
}

Status Scheduler::AddModels(std::vector<ModelConfig> models) {
  std::vector<DeviceInfo> infos;
  for (const auto& d : devices_) infos.push_back(d->info);
  std::map<std::string, int> group_index;
  for (ModelConfig& config : models) {
    if (by_name_.count(config.name)) {
      return Status(ErrorCode::kInvalidArgument, "duplicate model name '" + config.name + "'");
    }
    auto eligible = EligibleDevices(config, infos);
    if (!eligible.ok()) return eligible.status();
    auto engine = engines_->Create(config);
    if (!engine.ok()) return engine.status();
    if (!(*engine)->UsesGpu()) {
      // A CPU-only engine: host RAM only; naming a GPU explicitly is a config error.
      const bool auto_device = config.device == "auto" || config.device.empty();
      if (!auto_device && config.device != "cpu") {
        return Status(ErrorCode::kFailedPrecondition,
                      "model '" + config.name + "': engine '" + config.engine +
                          "' runs only on the CPU; device '" + config.device +
                          "' is not possible (use auto or cpu)");
      }
      eligible->assign(1, host_);
    }
    std::optional<std::string> tenant_name;
    if (tenant_) tenant_name = tenant_->TenantName(config);
    if (tenant_name) {
      // Lives in the tenant's memory: `device: auto` means the tenant's device.
      const bool auto_device = config.device == "auto" || config.device.empty();
      if (auto_device) {
        std::optional<size_t> td;
        for (size_t i = 0; i < devices_.size() && !td; ++i) {
          const DeviceInfo& info = devices_[i]->info;
          if (options_.tenant_device == "auto" ? info.kind == DeviceKind::kGpu
                                               : (info.id == options_.tenant_device ||
                                                  (options_.tenant_device == "gpu" &&
                                                   info.kind == DeviceKind::kGpu))) {
            td = i;
          }
        }
        if (!td && options_.tenant_device != "auto" && options_.tenant_device != "cpu") {
          return Status(ErrorCode::kFailedPrecondition,
                        "ollama.device '" + options_.tenant_device + "' does not exist");
        }
        eligible->assign(1, td.value_or(host_));
      }
    }
    auto entry = std::make_unique<ModelEntry>(std::move(config), std::move(engine).value());
    entry->eligible = std::move(eligible).value();
    if (tenant_name) {
      entry->tenant_name = *tenant_name;
      has_tenant_models_ = true;
    }
    if (auto stats = store_.Get(entry->config.name)) {
      entry->measured = stats->bytes;
      entry->last_load_seconds = stats->load_seconds;
    }
    if (!entry->config.group.empty()) {
      auto [it, added] = group_index.emplace(entry->config.group, static_cast<int>(groups_.size()));
      if (added) groups_.emplace_back();
      entry->group = it->second;
      groups_[static_cast<size_t>(it->second)].push_back(entry.get());
    }
    if (Status st = CheckFitsSomewhere(*entry); !st.ok()) return st;
    by_name_[entry->config.name] = entry.get();
    models_.push_back(std::move(entry));
  }
  return Status::Ok();
}

Status Scheduler::CheckFitsSomewhere(const ModelEntry& m) const {
  const std::uint64_t need = PredictBytes(m);
  std::uint64_t largest = 0;
  std::string where;
  for (size_t d : m.eligible) {
    largest = std::max(largest, devices_[d]->info.budget);
    where += (where.empty() ? "" : ", ") + devices_[d]->info.id;
  }
  if (need <= largest) return Status::Ok();
  for (size_t d : m.eligible) {
    if (MaySplitOn(m, d, need)) return Status::Ok();  // with part of it in host RAM
  }
  return Status(ErrorCode::kFailedPrecondition,
                "model '" + m.config.name + "' needs " + FormatBytes(need) +
                    ", more than the largest budget it may use (" + FormatBytes(largest) +
                    " on " + where + "); it can never be loaded");
}

Scheduler::~Scheduler() {
  Stop();
  Lock lk(mu_);
  for (auto& m : models_) {
    while (m->state == ModelState::kLoading || m->state == ModelState::kUnloading) cv_.wait(lk);
    if (m->state == ModelState::kReady) {
      BeginUnload(*m, "shutdown");
      UnloadEngine(*m, "shutdown", lk);
    }
  }
}

void Scheduler::SetEventListener(EventListener listener) { listener_ = std::move(listener); }

ModelEntry* Scheduler::Find(const std::string& model) const {
  auto it = by_name_.find(model);
  return it == by_name_.end() ? nullptr : it->second;
}

bool Scheduler::HasModel(const std::string& model) const { return Find(model) != nullptr; }

const std::string& Scheduler::DeviceId(size_t device) const {
  static const std::string kNone;
  return device < devices_.size() ? devices_[device]->info.id : kNone;
}

std::uint64_t Scheduler::PredictBytes(const ModelEntry& m) const {
  return std::max({m.config.memory.value_or(0), m.measured, m.engine->EstimateFootprint()});
}

double Scheduler::ReloadSeconds(const ModelEntry& m) const {
  if (m.last_load_seconds > 0) return m.last_load_seconds;
  // Unmeasured: assume disk at ~2 GiB/s plus a fixed start-up cost.
  return 0.2 + static_cast<double>(PredictBytes(m)) / (2.0 * static_cast<double>(kGiB));
}

void Scheduler::ScoreOf(const ModelEntry& m, Clock::TimePoint now, double* reload,
                        double* likelihood) const {
  if (now >= m.score_until) {
    m.score_reload = ReloadSeconds(m);
    m.score_likelihood = m.usage.ReuseLikelihood(now, options_.reuse_horizon, &m.score_until);
    if (m.score_until <= now) m.score_until = Clock::TimePoint{};  // not cacheable
  }
  *reload = m.score_reload;
  *likelihood = m.score_likelihood;
}

void Scheduler::SetState(ModelEntry& m, ModelState to) {
  if (!IsValidTransition(m.state, to)) {
    spdlog::error("scheduler bug: model '{}' {} -> {}", m.config.name, ModelStateName(m.state),
                  ModelStateName(to));
  }
  m.state = to;
  Touch(m);
}

void Scheduler::Touch(ModelEntry& m) {
  if (!m.tenant_name.empty()) m.tenant_stamp = std::chrono::steady_clock::now();
}

void Scheduler::Emit(SchedulerEvent::Kind kind, const ModelEntry& m, const std::string& detail) {
  if (!listener_) return;
  listener_(SchedulerEvent{kind, m.config.name, DeviceId(m.device), detail, m.leases,
                           m.config.pinned});
}

void Scheduler::NotifyChange() {
  ++epoch_;
  cv_.notify_all();
}

void Scheduler::SaveMeasurements() {
  if (!store_dirty_.exchange(false)) return;
  if (Status st = store_.Save(); !st.ok()) spdlog::warn("{}", st.message());
}

Result<Lease> Scheduler::Acquire(const std::string& model, const AcquireOptions& options) {
  Result<Lease> lease = AcquireLocked(model, options);
  SaveMeasurements();
  return lease;
}

Result<Lease> Scheduler::AcquireLocked(const std::string& model, const AcquireOptions& options) {
  Lock lk(mu_);
  ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  const Clock::TimePoint now = clock_->Now();
  m->usage.Record(now);
  m->InvalidateScore();
  m->skip_prefetch = false;
  if (m->state != ModelState::kReady || m->unload_requested) {  // slow path: load
    LoadMode mode;
    mode.priority = options.priority.value_or(m->config.priority);
    mode.deadline = std::chrono::steady_clock::now() + options_.queue_timeout;
    if (Status st = EnsureLoaded(*m, mode, lk); !st.ok()) return st;
  }
  return LeaseLocked(*m, options.priority.value_or(m->config.priority));
}

Lease Scheduler::LeaseLocked(ModelEntry& m, Priority priority) {
  ++m.leases;
  m.last_used = clock_->Now();
  Touch(m);
  DeviceSlot& device = *devices_[m.device];
  return Lease(this, &m, device.info.id, priority, m.engine->UsesLocalCpu() ? &device.compute : nullptr,
               device.info.kind == DeviceKind::kGpu);
}

ComputeQueue& Scheduler::cpu() { return devices_[host_]->compute; }

void Scheduler::ReleaseLease(ModelEntry& m) {
  bool wake_reaper = false;
  {
    Lock lk(mu_);
    Touch(m);
    if (--m.leases > 0) return;
    m.idle_since = clock_->Now();
    wake_reaper = KeepAlive(m) == Duration(0) && !m.config.pinned;
    if (!m.tenant_name.empty()) {  // the tenant's state may have changed: look soon
      tenant_wanted_ = true;
      wake_reaper = true;
    }
    maintenance_wanted_ = maintenance_wanted_ || wake_reaper;
    NotifyChange();
  }
  if (wake_reaper) maintenance_cv_.notify_one();
}

Turn Scheduler::BeginTurn(std::vector<std::string> pipeline, Priority priority) {
  return Turn(this, std::move(pipeline), priority);
}

}  // namespace harvis
