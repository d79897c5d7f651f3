// Unloading: eviction of victims, explicit unloads, keep-alive expiry (the reaper) and
// cleanup verification of the freed device memory.
#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "scheduler/scheduler_internal.h"

namespace harvis {

void Scheduler::BeginUnload(ModelEntry& m, const std::string& reason) {
  SetState(m, ModelState::kUnloading);
  Emit(SchedulerEvent::Kind::kUnloadStarted, m, reason);
}

void Scheduler::UnloadEngine(ModelEntry& m, const std::string& reason, Lock& lk) {
  const size_t d = m.device;
  const std::string id = DeviceId(d);
  const std::uint64_t bytes = m.reserved;
  lk.unlock();
  // Verified on GPUs only: memory freed in host RAM goes back to the allocator, which
  // need not return it to the OS, so RSS cannot tell a leak from a cached free list.
  const auto before = probe_ && d != host_ ? probe_->UsedBytes(id) : std::nullopt;
  // Keep the weights warm in host RAM (pointless for a model that lives there).
  if (d != host_ && ram_tier_.capacity() > 0 && m.engine->CanLoadFromMemory()) {
    if (auto blob = m.engine->ExportWeights()) ram_tier_.Put(m.config.name, std::move(*blob));
  }
  m.engine->Unload();
  const std::uint64_t leaked = VerifyCleanup(id, before, bytes);
  lk.lock();
  FinishUnload(m, reason, leaked);
}

void Scheduler::FinishUnload(ModelEntry& m, const std::string& reason, std::uint64_t leaked) {
  const size_t d = m.device;
  const std::string& id = DeviceId(d);
  ledger_.Release(id, m.owner);
  ReleaseHostShare(m);
  m.adopted = false;
  m.reserved = 0;
  m.unload_requested = false;
  m.keep_alive_override.reset();
  if (leaked > 0) {
    devices_[d]->leaked += leaked;
    metrics_.AddLeaked(id, leaked);
  }
  metrics_.SetResident(m.config.name, id, false);
  metrics_.CountEviction(m.config.name, reason);
  SetState(m, ModelState::kUnloaded);
  Emit(SchedulerEvent::Kind::kUnloaded, m, reason);
  m.device = kNoDevice;
  NotifyChange();
}

std::uint64_t Scheduler::VerifyCleanup(const std::string& device,
                                       std::optional<std::uint64_t> before, std::uint64_t bytes) {
  if (!probe_ || !before) return 0;
  const std::uint64_t expected = *before > bytes ? *before - bytes : 0;
  std::uint64_t used = *before;
  for (int i = 0; i < std::max(1, options_.cleanup_polls); ++i) {
    auto now = probe_->UsedBytes(device);
    if (!now) return 0;
    used = *now;
    if (used <= expected + options_.cleanup_tolerance) return 0;
    std::this_thread::sleep_for(options_.cleanup_poll_interval);
  }
  const std::uint64_t leaked = std::min(bytes, used - expected);
  spdlog::warn("unload on {}: {} did not come back after {} polls (leaked)", device,
               FormatBytes(leaked), options_.cleanup_polls);
  return leaked;
}

Duration Scheduler::KeepAlive(const ModelEntry& m) const {
  if (m.config.pinned) return kForever;
  if (policy_->UnloadAfterUse()) return Duration(0);
  return m.keep_alive_override.value_or(m.config.keep_alive);
}

bool Scheduler::Expired(const ModelEntry& m, Clock::TimePoint now) const {
  if (m.state != ModelState::kReady || m.leases > 0 || m.unload_requested || m.config.pinned) {
    return false;
  }
  const Duration ka = KeepAlive(m);
  if (ka == kForever) return false;
  // keep_alive 0 (unload after use) under every policy; otherwise only the policies
  // that reap at expiry (under cost an expired model stays: it is the first victim).
  if (ka != Duration(0) && !policy_->ReapsExpired()) return false;
  return now - m.idle_since >= ka;
}

bool Scheduler::IdleExpired(const ModelEntry& m, Duration keep_alive, Clock::TimePoint now) const {
  return keep_alive != kForever && m.leases == 0 && now - m.idle_since >= keep_alive;
}

void Scheduler::RunMaintenance() {
  Lock lk(mu_);
  for (;;) {
    const Clock::TimePoint now = clock_->Now();
    ModelEntry* victim = nullptr;
    for (const auto& m : models_) {
      if (Expired(*m, now)) {
        victim = m.get();
        break;
      }
    }
    if (victim == nullptr) return;
    const size_t d = victim->device;
    lk.unlock();
    Lock load(devices_[d]->load_mu);
    lk.lock();
    if (!Expired(*victim, clock_->Now()) || victim->device != d) continue;
    BeginUnload(*victim, "expired");
    UnloadEngine(*victim, "expired", lk);
  }
}

void Scheduler::PublishCompute() {
  for (const auto& d : devices_) {
    const ComputeQueue::Stats s = d->compute.stats();
    metrics_.SetCompute(d->info.id, s.capacity, s.in_use, s.waiting);
  }
}

void Scheduler::MaintenanceLoop() {
  Lock lk(mu_);
  auto next_tenant = std::chrono::steady_clock::now();
  while (!stopping_) {
    maintenance_cv_.wait_for(lk, options_.maintenance_interval,
                             [&] { return stopping_ || maintenance_wanted_; });
    if (stopping_) break;
    maintenance_wanted_ = false;
    const bool tenant_now = tenant_wanted_ || std::chrono::steady_clock::now() >= next_tenant;
    tenant_wanted_ = false;
    lk.unlock();
    RunMaintenance();
    RunPrefetch();
    PublishCompute();
    if (tenant_now) {
      ReconcileTenant();
      next_tenant = std::chrono::steady_clock::now() + options_.tenant_interval;
    }
    SaveMeasurements();
    lk.lock();
  }
}

namespace {

// Ollama answers "llama3" for "llama3:latest"; compare without the default tag.
std::string_view WithoutLatest(std::string_view name) {
  constexpr std::string_view kLatest = ":latest";
  if (name.size() > kLatest.size() && name.substr(name.size() - kLatest.size()) == kLatest) {
    name.remove_suffix(kLatest.size());
  }
  return name;
}

}  // namespace

void Scheduler::ReconcileTenant() {
  if (!tenant_ || !has_tenant_models_) return;
  const auto fetched = std::chrono::steady_clock::now();
  auto resident = tenant_->Resident();
  if (!resident.ok()) return;  // the tenant is down: nothing to learn
  std::vector<std::string> to_evict;
  for (const auto& mp : models_) {
    ModelEntry& m = *mp;
    if (m.tenant_name.empty()) continue;
    const TenantResident* r = nullptr;
    for (const TenantResident& x : *resident) {
      if (WithoutLatest(x.name) == WithoutLatest(m.tenant_name)) r = &x;
    }
    Lock lk(mu_);
    if (m.tenant_stamp >= fetched) continue;  // changed since the answer: next time
    const bool idle_out = m.state == ModelState::kUnloaded || m.state == ModelState::kFailed;
    if (r != nullptr && idle_out) {
      // The tenant loaded it itself: adopt it as READY with its bytes reserved.
      const size_t d = m.eligible.front();
      lk.unlock();
      Lock load(devices_[d]->load_mu);
      lk.lock();
      if (m.tenant_stamp >= fetched ||
          !(m.state == ModelState::kUnloaded || m.state == ModelState::kFailed)) {
        continue;
      }
      bool fits = ledger_.Free(DeviceId(d)) >= r->bytes;
      if (m.group >= 0) {
        for (const ModelEntry* g : groups_[static_cast<size_t>(m.group)]) {
          if (g != &m && (g->Resident() || g->state == ModelState::kLoading)) fits = false;
        }
      }
      if (!fits || !ledger_.Reserve(DeviceId(d), m.owner, r->bytes).ok()) {
        spdlog::info("tenant model '{}' ({}) does not fit on {}: evicting it from {}",
                     m.config.name, FormatBytes(r->bytes), DeviceId(d), tenant_->label());
        to_evict.push_back(r->name);
        continue;
      }
      SetState(m, ModelState::kLoading);  // from UNLOADED or FAILED
      m.device = d;
      m.reserved = r->bytes;
      m.adopted = true;
      m.failures = 0;
      m.last_error.clear();
      metrics_.SetResident(m.config.name, DeviceId(d), true);
      Emit(SchedulerEvent::Kind::kLoadStarted, m, "adopted");
      m.idle_since = clock_->Now();
      SetState(m, ModelState::kReady);
      Emit(SchedulerEvent::Kind::kReady, m, "adopted");
      NotifyChange();
      spdlog::info("adopted '{}' loaded by {} on {}: {}", m.config.name, tenant_->label(),
                   DeviceId(d), FormatBytes(r->bytes));
    } else if (r == nullptr && m.state == ModelState::kReady && m.leases == 0 &&
               !m.unload_requested) {
      // The tenant dropped it (its own keep-alive): release the reservation.
      const size_t d = m.device;
      lk.unlock();
      Lock load(devices_[d]->load_mu);
      lk.lock();
      if (m.tenant_stamp >= fetched || m.state != ModelState::kReady || m.leases > 0 ||
          m.device != d) {
        continue;
      }
      BeginUnload(m, "tenant");
      FinishUnload(m, "tenant", 0);
      spdlog::info("'{}' was dropped by {}: released its reservation", m.config.name,
                   tenant_->label());
    } else if (r != nullptr && m.state == ModelState::kReady && r->bytes != m.reserved &&
               r->bytes > 0) {
      // Its size changed in the tenant (context, KV cache): follow when it fits.
      if (ledger_.Resize(DeviceId(m.device), m.owner, r->bytes).ok()) m.reserved = r->bytes;
    }
  }
  for (const std::string& name : to_evict) {
    if (Status st = tenant_->Evict(name); !st.ok()) {
      spdlog::warn("evicting '{}' from {}: {}", name, tenant_->label(), st.message());
    }
  }
}

int Scheduler::EvictOwnIdleOn(size_t d, Lock& lk) {
  std::vector<ModelEntry*> victims;
  const LoadMode mode;
  for (const auto& x : models_) {
    if (x->device == d && x->tenant_name.empty() && Evictable(*x, mode)) victims.push_back(x.get());
  }
  for (ModelEntry* v : victims) BeginUnload(*v, "tenant-oom");
  for (ModelEntry* v : victims) {
    UnloadEngine(*v, "tenant-oom", lk);
    v->skip_prefetch = true;  // the tenant needs that memory: prefetch must not refill it
  }
  if (!victims.empty()) {
    spdlog::warn("{} ran out of memory on {}: evicted {} idle model(s) of ours",
                 tenant_ ? tenant_->label() : std::string("tenant"), DeviceId(d), victims.size());
  }
  return static_cast<int>(victims.size());
}

int Scheduler::FreeRoomForTenant(ModelEntry& m) {
  Lock lk(mu_);
  const size_t d = m.device;  // leased by the caller: stays put
  if (d == kNoDevice) return 0;
  lk.unlock();
  Lock load(devices_[d]->load_mu);
  lk.lock();
  return EvictOwnIdleOn(d, lk);
}

void Scheduler::Start() {
  Lock lk(mu_);
  if (maintenance_.joinable()) return;
  stopping_ = false;
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
}

void Scheduler::Stop() {
  {
    Lock lk(mu_);
    if (!maintenance_.joinable()) return;
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  maintenance_.join();
  Lock lk(mu_);
  maintenance_ = std::thread();
}

Status Scheduler::Unload(const std::string& model, bool force) {
  Lock lk(mu_);
  ModelEntry* m = Find(model);
  if (m == nullptr) return Status(ErrorCode::kNotFound, "model '" + model + "' not found");
  for (;;) {
    if (m->state == ModelState::kUnloaded || m->state == ModelState::kFailed) return Status::Ok();
    if (m->state != ModelState::kReady) {  // loading or unloading: let it finish
      cv_.wait(lk);
      continue;
    }
    if (m->leases > 0) {
      if (!force) {
        return Status(ErrorCode::kConflict, "model '" + model + "' is in use by " +
                                                std::to_string(m->leases) +
                                                " request(s); use force to wait for them");
      }
      m->unload_requested = true;  // no new leases; wait for the current ones
      cv_.wait(lk);
      continue;
    }
    const size_t d = m->device;
    lk.unlock();
    Lock load(devices_[d]->load_mu);
    lk.lock();
    if (m->state != ModelState::kReady || m->leases > 0 || m->device != d) continue;
    BeginUnload(*m, "admin");
    UnloadEngine(*m, "admin", lk);
    m->skip_prefetch = true;  // unloaded on purpose: prefetch must not bring it back
    return Status::Ok();
  }
}

}  // namespace harvis
