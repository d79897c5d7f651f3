// Prefetch (issue 10): while no request waits and no load runs, the scheduler moves the
// models most likely to be needed next one step closer to a device: weights from disk
// into the RAM tier's free room, and weights already in the RAM tier onto a device with
// room to spare. It never evicts and never queues, so it cannot delay a request for
// longer than one load from RAM already under way.
#include <cmath>

#include <spdlog/spdlog.h>

#include "scheduler/scheduler_internal.h"

namespace harvis {

bool Scheduler::RunPrefetch() {
  if (!options_.prefetch || !policy_->Prefetches()) return false;
  const bool moved = PrefetchToDevice() || PrefetchToRamTier();
  SaveMeasurements();
  return moved;
}

bool Scheduler::Quiet() const {
  for (Priority p : {Priority::kRealtime, Priority::kNormal, Priority::kBatch}) {
    if (queue_.Depth(p) > 0) return false;
  }
  for (const auto& m : models_) {
    if (m->state == ModelState::kLoading || m->state == ModelState::kUnloading) return false;
  }
  return true;
}

std::optional<double> Scheduler::NeedScore(const ModelEntry& m, Clock::TimePoint now) const {
  if (forecast_) {
    const double seconds = forecast_->SecondsToNextUse(m.config.name, now);
    if (!std::isfinite(seconds)) return std::nullopt;
    return -seconds;
  }
  double reload = 0, likelihood = 0;
  ScoreOf(m, now, &reload, &likelihood);
  if (likelihood <= 0) return std::nullopt;
  return reload * likelihood;  // the expected load time a prefetch saves
}

ModelEntry* Scheduler::MostNeeded(const std::function<bool(const ModelEntry&)>& candidate) const {
  const Clock::TimePoint now = clock_->Now();
  ModelEntry* best = nullptr;
  double best_score = 0;
  for (const auto& mp : models_) {
    ModelEntry& m = *mp;
    if (m.state != ModelState::kUnloaded || m.skip_prefetch || !candidate(m)) continue;
    auto score = NeedScore(m, now);
    if (score && (best == nullptr || *score > best_score)) {
      best = &m;
      best_score = *score;
    }
  }
  return best;
}

bool Scheduler::PrefetchToDevice() {
  Lock lk(mu_);
  if (!Quiet()) return false;
  ModelEntry* best = MostNeeded([&](const ModelEntry& m) {
    if (KeepAlive(m) == Duration(0) || !ram_tier_.Contains(m.config.name)) return false;
    const std::uint64_t need = PredictBytes(m);
    for (size_t d : m.eligible) {
      if (ledger_.Free(DeviceId(d)) >= need) return true;
    }
    return false;
  });
  if (best == nullptr) return false;
  LoadMode mode;
  mode.priority = Priority::kBatch;
  mode.may_queue = false;
  mode.no_victims = true;
  mode.deadline = std::chrono::steady_clock::now() + options_.queue_timeout;
  Status st = EnsureLoaded(*best, mode, lk);
  if (st.ok()) spdlog::debug("prefetched '{}' onto {}", best->config.name, DeviceId(best->device));
  return st.ok();
}

bool Scheduler::PrefetchToRamTier() {
  Lock lk(mu_);
  if (!Quiet()) return false;
  const std::uint64_t room = ram_tier_.Room();
  ModelEntry* best = MostNeeded([&](const ModelEntry& m) {
    return m.engine->CanLoadFromMemory() && PredictBytes(m) <= room && !ram_tier_.Contains(m.config.name);
  });
  if (best == nullptr) return false;
  lk.unlock();
  Result<WeightBlob> blob = best->engine->ReadWeights();  // no lock held: reads the file
  lk.lock();
  if (!blob.ok()) {
    best->skip_prefetch = true;
    spdlog::warn("prefetch of '{}' into the RAM tier failed: {}", best->config.name,
                 blob.status().message());
    return false;
  }
  // A request may have loaded it meanwhile; only an unloaded model's weights are kept.
  if (best->state != ModelState::kUnloaded) return false;
  if (!ram_tier_.Put(best->config.name, std::move(blob).value(), /*make_room=*/false)) return false;
  spdlog::debug("prefetched '{}' into the RAM tier", best->config.name);
  return true;
}

}  // namespace harvis
