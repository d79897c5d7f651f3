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
  const auto before = probe_ ? probe_->UsedBytes(id) : std::nullopt;
  // Keep the weights warm in host RAM (pointless for a model that lives there).
  if (d != host_ && ram_tier_.capacity() > 0 && m.engine->CanLoadFromMemory()) {
    if (auto blob = m.engine->ExportWeights()) ram_tier_.Put(m.config.name, std::move(*blob));
  }
  m.engine->Unload();
  const std::uint64_t leaked = VerifyCleanup(id, before, bytes);
  lk.lock();
  ledger_.Release(id, m.owner);
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
  return now - m.idle_since >= ka;
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

void Scheduler::MaintenanceLoop() {
  Lock lk(mu_);
  while (!stopping_) {
    maintenance_cv_.wait_for(lk, options_.maintenance_interval,
                             [&] { return stopping_ || maintenance_wanted_; });
    if (stopping_) break;
    maintenance_wanted_ = false;
    lk.unlock();
    RunMaintenance();
    SaveMeasurements();
    lk.lock();
  }
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
    return Status::Ok();
  }
}

}  // namespace harvis
