// `harvis plan`: reads the configuration and the detected (or given) hardware and prints
// which models can be resident together on which device, the headroom, the worst-case
// load sequence, and recommended container requests and limits. Exits 1 when a
// configured model can never fit.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "app/commands.h"
#include "app/runtime.h"
#include "app/startup.h"
#include "core/logging.h"

namespace harvis::app {
namespace {

struct Placement {
  ModelSnapshot model;
  std::uint64_t bytes = 0;  // predicted footprint
};

// Given hardware replaces detection: each --gpu becomes a (simulated) GPU of that size.
Config WithGivenHardware(Config config, const PlanOptions& plan) {
  if (plan.gpus.empty()) return config;
  config.devices_auto = false;
  config.devices.clear();
  for (size_t i = 0; i < plan.gpus.size(); ++i) {
    config.devices.push_back({"gpu" + std::to_string(i), DeviceKind::kGpu, plan.gpus[i], true});
  }
  for (auto& m : config.models) {
    if (m.device != "auto" && m.device != "cpu" && m.device != "gpu" &&
        std::none_of(config.devices.begin(), config.devices.end(), [&](const DeviceConfig& d) { return d.id == m.device; })) {
      m.device = "gpu";  // a device of the configuration that the given hardware lacks
    }
  }
  return config;
}

// Models first that must stay: pinned, then by priority, then the defaults of a turn.
bool KeepFirst(const Placement& a, const Placement& b) {
  if (a.model.pinned != b.model.pinned) return a.model.pinned;
  if (a.model.priority != b.model.priority) return a.model.priority < b.model.priority;
  return a.bytes < b.bytes;
}

bool Eligible(const ModelConfig& m, const DeviceSnapshot& d) {
  if (m.device == "auto") return true;
  if (m.device == "gpu") return d.kind == DeviceKind::kGpu;
  return m.device == d.id;
}

double LoadSecondsEstimate(const Placement& p) {
  if (p.model.last_load_seconds > 0) return p.model.last_load_seconds;
  return 0.2 + static_cast<double>(p.bytes) / (2.0 * static_cast<double>(kGiB));  // disk at ~2 GiB/s
}

std::uint64_t RoundUpGiB(double bytes) {
  return static_cast<std::uint64_t>(std::ceil(bytes / static_cast<double>(kGiB))) * kGiB;
}

struct DevicePlan {
  DeviceSnapshot device;
  std::vector<const Placement*> models;    // placed here, keep-first order
  std::vector<const Placement*> together;  // resident at once
  std::uint64_t together_bytes = 0;
};

// Places models in keep-first order: each goes, best fit, to an eligible device where it
// fits beside those already resident (one model per exclusive group, GPUs before host
// RAM); a model that fits beside nothing is swapped in on demand on its largest device.
std::vector<DevicePlan> PlaceAll(const std::vector<Placement>& placements, const std::vector<DeviceSnapshot>& snapshots,
                                 const std::map<std::string, ModelConfig>& configs) {
  std::vector<DevicePlan> devices;
  for (const auto& d : snapshots) devices.push_back({d, {}, {}, 0});
  std::set<std::string> resident_groups;
  for (const Placement& p : placements) {
    const ModelConfig& cfg = configs.at(p.model.name);
    DevicePlan* best = nullptr;
    DevicePlan* largest = nullptr;
    const bool group_taken = !cfg.group.empty() && resident_groups.count(cfg.group);
    for (auto& d : devices) {
      if (!Eligible(cfg, d.device) || p.bytes > d.device.budget) continue;
      if (!largest || d.device.budget > largest->device.budget) largest = &d;
      if (group_taken || d.together_bytes + p.bytes > d.device.budget) continue;
      auto left = [&](const DevicePlan* x) { return x->device.budget - x->together_bytes - p.bytes; };
      bool better = !best || (d.device.kind == DeviceKind::kGpu && best->device.kind != DeviceKind::kGpu) ||
                    (d.device.kind == best->device.kind && left(&d) < left(best));
      if (better) best = &d;
    }
    DevicePlan* target = best ? best : largest;
    if (!target) continue;  // cannot happen: the scheduler refused such models already
    target->models.push_back(&p);
    if (best) {
      best->together.push_back(&p);
      best->together_bytes += p.bytes;
      if (!cfg.group.empty()) resident_groups.insert(cfg.group);
    }
  }
  return devices;
}

void PrintDevice(const DevicePlan& d) {
  std::printf("\n%s (%s, budget %s)\n", d.device.id.c_str(), d.device.kind == DeviceKind::kGpu ? "gpu" : "host RAM",
              FormatBytes(d.device.budget).c_str());
  for (const Placement* p : d.models) {
    bool resident = std::find(d.together.begin(), d.together.end(), p) != d.together.end();
    std::printf("  %-24s %-4s %10s  %s\n", p->model.name.c_str(), ModelKindName(p->model.kind),
                FormatBytes(p->bytes).c_str(), resident ? "resident together" : "swapped in on demand");
  }
  std::printf("  headroom with the resident set: %s of %s\n", FormatBytes(d.device.budget - d.together_bytes).c_str(),
              FormatBytes(d.device.budget).c_str());
}

// Loading every swapped model once, from the resident sets: what each load evicts, for
// room on its device or because a model of its exclusive group is resident elsewhere.
void PrintWorstCase(std::vector<DevicePlan> devices) {
  double total_seconds = 0;
  for (auto& d : devices) {
    for (const Placement* p : d.models) {
      if (std::find(d.together.begin(), d.together.end(), p) != d.together.end()) continue;
      std::vector<std::string> evicted;
      auto evict = [&](DevicePlan& from, std::vector<const Placement*>::iterator it) {
        from.together_bytes -= (*it)->bytes;
        evicted.push_back((*it)->model.name);
        from.together.erase(it);
      };
      for (auto& other : devices) {
        auto mate = std::find_if(other.together.begin(), other.together.end(), [&](const Placement* r) {
          return !p->model.group.empty() && r->model.group == p->model.group;
        });
        if (mate != other.together.end()) evict(other, mate);
      }
      while (d.together_bytes + p->bytes > d.device.budget) {
        auto victim = std::find_if(d.together.rbegin(), d.together.rend(), [](const Placement* r) { return !r->model.pinned; });
        if (victim == d.together.rend()) break;
        evict(d, std::next(victim).base());
      }
      double seconds = LoadSecondsEstimate(*p);
      total_seconds += seconds;
      std::string ev;
      for (const auto& e : evicted) ev += (ev.empty() ? "" : ", ") + e;
      std::printf("  load %-22s on %-5s %10s  ~%.1fs%s\n", p->model.name.c_str(), d.device.id.c_str(),
                  FormatBytes(p->bytes).c_str(), seconds, ev.empty() ? "" : ("  evicts " + ev).c_str());
      d.together.push_back(p);
      d.together_bytes += p->bytes;
    }
  }
  std::printf("  worst case: %.1fs of loading\n", total_seconds);
}

void PrintRecommendation(const Config& config, const std::vector<DevicePlan>& devices,
                         const std::map<std::string, ModelConfig>& configs) {
  double host_bytes = 2.0 * kGiB;  // the process itself: HTTP, audio buffers, allocator slack
  double gpu_weights = 0;
  int gpus = 0;
  double threads = 2;  // HTTP, audio decoding, the scheduler
  for (const auto& d : devices) {
    if (d.device.kind == DeviceKind::kGpu) {
      ++gpus;
      for (const Placement* p : d.models) {
        gpu_weights += p->model.engine == "ollama" ? 0 : p->bytes;
        threads += 2.0 * configs.at(p->model.name).parallel;  // feeding a GPU model
      }
    } else {
      for (const Placement* p : d.models) {
        host_bytes += p->bytes;
        threads += 4.0 * configs.at(p->model.name).parallel;  // inference on the CPU
      }
    }
  }
  // The RAM tier keeps evicted GPU weights warm: budget for all of them.
  const double limit = (host_bytes + gpu_weights) / config.budgets.ram_fraction;
  const int cpu_limit = static_cast<int>(std::ceil(threads / config.budgets.cpu_fraction));
  std::printf("\nrecommended container resources\n");
  std::printf("  requests: cpu 1000m, memory %s%s\n", FormatBytes(RoundUpGiB(host_bytes)).c_str(),
              gpus ? (", nvidia.com/gpu " + std::to_string(gpus)).c_str() : "");
  std::printf("  limits:   cpu %dm, memory %s%s\n", cpu_limit * 1000, FormatBytes(RoundUpGiB(limit)).c_str(),
              gpus ? (", nvidia.com/gpu " + std::to_string(gpus)).c_str() : "");
  std::printf("  (memory limit = (host models + RAM tier for evicted GPU weights + 2 GiB) / ram_fraction %.2f;\n"
              "   cpu limit = (2 + 2 threads per GPU model slot + 4 per host model slot) / cpu_fraction %.2f)\n",
              config.budgets.ram_fraction, config.budgets.cpu_fraction);
}

}  // namespace

int Plan(const CommonOptions& options, const PlanOptions& plan) {
  SetupLogging("warn");
  auto loaded = LoadEffectiveConfig(options);
  if (!loaded.ok()) {
    std::cerr << "harvis plan: " << loaded.status().message() << "\n";
    return 1;
  }
  const Config config = WithGivenHardware(*loaded, plan);
  RuntimeOverrides overrides{plan.memory, plan.cpus};
  auto rt = BuildRuntime(config, resources::RestartInfo{}, /*background=*/false, overrides);
  if (!rt.ok()) {
    std::cerr << "harvis plan: " << rt.status().message() << "\n";
    return 1;
  }
  Scheduler& scheduler = *(*rt)->scheduler;
  std::vector<Placement> placements;
  for (const auto& m : scheduler.ListModels()) {
    auto p = scheduler.Plan(m.name);
    if (!p.ok()) {
      std::cerr << "harvis plan: " << p.status().message() << "\n";
      return 1;
    }
    placements.push_back({m, p->bytes});
  }
  std::sort(placements.begin(), placements.end(), KeepFirst);
  std::map<std::string, ModelConfig> configs;
  for (const auto& m : config.models) configs[m.name] = m;
  const std::vector<DevicePlan> devices = PlaceAll(placements, scheduler.ListDevices(), configs);
  std::printf("harvis plan for %s: %zu models, policy %s\n", config.source.c_str(), placements.size(),
              config.scheduler.policy.c_str());
  for (const auto& d : devices) PrintDevice(d);
  std::printf("\nworst-case load sequence (each swapped model loaded once, from the resident set)\n");
  PrintWorstCase(devices);
  PrintRecommendation(config, devices, configs);
  return 0;
}

}  // namespace harvis::app
