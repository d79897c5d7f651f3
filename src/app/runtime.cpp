#include "app/runtime.h"

#include <prometheus/registry.h>
#include <unistd.h>

#include <fstream>

#include "app/startup.h"
#include "scheduler/memory_probe.h"

namespace harvis::app {
namespace {

// Measures device memory for the scheduler: NVML's used memory on real GPUs, this
// process's resident set on the host.
class SystemMemoryProbe : public DeviceMemoryProbe {
 public:
  explicit SystemMemoryProbe(resources::Nvml& nvml) : nvml_(nvml) {}

  std::optional<std::uint64_t> UsedBytes(const std::string& device) override {
    if (device == "cpu") return ResidentSetBytes();
    for (const auto& gpu : nvml_.Devices()) {
      if (gpu.id == device) return gpu.memory_used_bytes;
    }
    return std::nullopt;
  }

 private:
  static std::optional<std::uint64_t> ResidentSetBytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages_total = 0, pages_resident = 0;
    if (!(statm >> pages_total >> pages_resident)) return std::nullopt;
    return pages_resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }

  resources::Nvml& nvml_;
};

std::vector<DeviceInfo> DetectedGpus(const resources::ResourceSnapshot& snapshot) {
  std::vector<DeviceInfo> gpus;
  for (const auto& g : snapshot.gpus) {
    gpus.push_back(DeviceInfo{g.id, DeviceKind::kGpu, g.memory_total_bytes, g.memory_total_bytes, false,
                              static_cast<int>(g.index)});
  }
  return gpus;
}

}  // namespace

Result<std::unique_ptr<Runtime>> BuildRuntime(const Config& config, const resources::RestartInfo& restarts,
                                              bool background, const RuntimeOverrides& overrides) {
  auto rt = std::make_unique<Runtime>();
  rt->registry = std::make_shared<prometheus::Registry>();
  auto monitor_options = MonitorOptionsFrom(config, restarts);
  monitor_options.background = background;
  rt->monitor = std::make_unique<resources::ResourceMonitor>(*rt->registry, monitor_options);
  resources::ResourceSnapshot snapshot = rt->monitor->Snapshot();
  if (overrides.ram_limit) snapshot.host.ram_limit_bytes = *overrides.ram_limit;
  if (overrides.cpu_cores) snapshot.host.cpu_allocated_cores = *overrides.cpu_cores;

  const auto host_ram_budget =
      static_cast<std::uint64_t>(static_cast<double>(snapshot.host.ram_limit_bytes) * config.budgets.ram_fraction);
  rt->engines = DefaultEngineRegistry(config.ollama);
  rt->devices = DevicesFromConfig(config, host_ram_budget, DetectedGpus(snapshot));

  SchedulerDeps deps;
  deps.engines = &rt->engines;
  deps.probe = std::make_shared<SystemMemoryProbe>(rt->monitor->nvml());
  deps.metrics = rt->registry.get();
  auto scheduler = Scheduler::Create(config.models, rt->devices,
                                     SchedulerOptionsFromConfig(config, snapshot.host.cpu_allocated_cores, host_ram_budget),
                                     std::move(deps));
  if (!scheduler.ok()) return scheduler.status();
  rt->scheduler = std::move(*scheduler);
  return rt;
}

}  // namespace harvis::app
