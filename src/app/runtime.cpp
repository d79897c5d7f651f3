#include "app/runtime.h"

#include <prometheus/registry.h>
#include <unistd.h>

#include <fstream>

#include "app/startup.h"
#include "engines/llm/ollama/ollama_engine.h"
#include "engines/llm/ollama/ollama_tenant.h"
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

// Ollama as a tenant of the GPU ledger (SPEC §4): what it holds (/api/ps, size_vram),
// evicting from it, and which registered models are its own (engine ollama, same URL).
class OllamaTenantSource : public TenantSource {
 public:
  explicit OllamaTenantSource(const OllamaConfig& config)
      : config_(config),
        tenant_(std::make_shared<OllamaClient>(OllamaClientOptions{
            config.url, std::chrono::seconds(2), std::chrono::seconds(15), std::chrono::seconds(10)})) {}

  std::string label() const override { return "ollama"; }
  std::optional<std::string> TenantName(const ModelConfig& model) const override {
    if (model.engine != "ollama") return std::nullopt;
    auto options = OllamaEngineOptions::Parse(model, config_);
    if (!options.ok() || options->client.url != config_.url) return std::nullopt;
    return options->model;
  }
  Result<std::vector<TenantResident>> Resident() override {
    auto running = tenant_.Refresh();
    if (!running.ok()) return running.status();
    std::vector<TenantResident> out;
    for (const TenantModel& m : *running) {
      out.push_back({m.name, m.bytes_vram > 0 ? m.bytes_vram : m.bytes_total});
    }
    return out;
  }
  Status Evict(const std::string& name) override { return tenant_.Evict(name); }

 private:
  const OllamaConfig config_;
  OllamaTenant tenant_;
};

bool SameOllamaName(std::string a, std::string b) {
  for (std::string* s : {&a, &b}) {
    if (s->size() > 7 && s->compare(s->size() - 7, 7, ":latest") == 0) s->resize(s->size() - 7);
  }
  return a == b;
}

// The configured models plus those installed in Ollama (/api/tags) that no configured
// model names, as LLM models of engine ollama, with predicted footprints. Ollama down or
// slow: skipped silently.
std::vector<ModelConfig> WithDiscoveredOllamaModels(const Config& config) {
  std::vector<ModelConfig> models = config.models;
  OllamaTenant probe(std::make_shared<OllamaClient>(OllamaClientOptions{
      config.ollama.url, std::chrono::seconds(1), std::chrono::seconds(3), std::chrono::seconds(3)}));
  auto found = probe.DiscoverModels();
  if (!found.ok()) return models;
  for (const std::string& name : *found) {
    bool known = false;
    for (const ModelConfig& m : config.models) {
      if (SameOllamaName(m.name, name)) known = true;
      if (m.engine == "ollama") {
        auto options = OllamaEngineOptions::Parse(m, config.ollama);
        if (options.ok() && SameOllamaName(options->model, name)) known = true;
      }
    }
    if (!known) models.push_back(DiscoveredOllamaModel(name));
  }
  // Room is reserved before the first chat to a model Ollama has not loaded: predict
  // the footprint (/api/ps, /api/show, /api/tags) of every Ollama model that declares none.
  for (ModelConfig& m : models) {
    if (m.engine != "ollama" || m.memory) continue;
    auto options = OllamaEngineOptions::Parse(m, config.ollama);
    auto bytes = probe.PredictBytes(options.ok() ? options->model : m.name);
    if (bytes.ok() && *bytes > 0) m.memory = *bytes;
  }
  return models;
}

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
  if (config.ollama.manage_residency) deps.tenant = std::make_shared<OllamaTenantSource>(config.ollama);
  auto scheduler = Scheduler::Create(WithDiscoveredOllamaModels(config), rt->devices,
                                     SchedulerOptionsFromConfig(config, snapshot.host.cpu_allocated_cores, host_ram_budget),
                                     std::move(deps));
  if (!scheduler.ok()) return scheduler.status();
  rt->scheduler = std::move(*scheduler);
  return rt;
}

}  // namespace harvis::app
