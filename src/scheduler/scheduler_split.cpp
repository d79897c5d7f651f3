// Partial offload: an engine that can split a model by layers (llama.cpp) is placed with
// some of its layers on a GPU and the rest in host RAM when the whole model does not fit
// there without evicting models that will be needed, and a split costs less than those
// evictions. The layers that fit in the GPU's free room go there (never an eviction for a
// split), at least half of them (fewer would run mostly on the CPU: the host is then the
// better place); the rest is reserved in host RAM (the RAM tier gives way).
//
// Cost, in the units of the eviction policy (expected seconds lost): evicting a model
// costs its reload time x its reuse likelihood; a split costs the host's share of the
// model's own reload time x its reuse likelihood, a stand-in for the slower calls of the
// layers left on the CPU until the model is next reloaded whole.
#include "scheduler/scheduler_internal.h"

namespace harvis {

std::optional<Scheduler::AdmitPlan> Scheduler::PlanSplitOn(const ModelEntry& m, size_t d, std::uint64_t need,
                                                           const LoadMode& mode) const {
  const int layers = m.engine->SplittableLayers();
  const DeviceInfo& info = devices_[d]->info;
  if (layers < 2 || info.kind != DeviceKind::kGpu || d == host_ || need == 0) return std::nullopt;
  const std::uint64_t free = ledger_.Free(info.id);
  if (free >= need) return std::nullopt;  // it fits whole: no reason to split
  const int on_gpu = static_cast<int>(free * static_cast<std::uint64_t>(layers) / need);
  if (2 * on_gpu < layers) return std::nullopt;
  const std::uint64_t device_bytes = (need * static_cast<std::uint64_t>(on_gpu) + layers - 1) / layers;
  const std::uint64_t host_bytes = need - std::min(need, device_bytes);
  const std::string& host = DeviceId(host_);
  if (ledger_.Free(host) + (mode.no_victims ? 0 : ram_tier_.bytes()) < host_bytes) return std::nullopt;
  double reload = 0, likelihood = 0;
  ScoreOf(m, clock_->Now(), &reload, &likelihood);
  AdmitPlan plan;
  plan.device = d;
  plan.gpu_layers = on_gpu;
  plan.host_bytes = host_bytes;
  plan.cost = static_cast<double>(host_bytes) / static_cast<double>(need) * reload * likelihood;
  plan.leftover = free - std::min(free, device_bytes);
  return plan;
}

bool Scheduler::MaySplitOn(const ModelEntry& m, size_t d, std::uint64_t need) const {
  const DeviceInfo& info = devices_[d]->info;
  if (m.engine->SplittableLayers() < 2 || info.kind != DeviceKind::kGpu || d == host_) return false;
  return 2 * info.budget >= need && devices_[host_]->info.budget >= need / 2;
}

void Scheduler::ReleaseHostShare(ModelEntry& m) {
  if (m.host_share > 0) ledger_.Release(DeviceId(host_), m.owner);
  m.host_share = 0;
  m.gpu_layers = -1;
}

}  // namespace harvis
