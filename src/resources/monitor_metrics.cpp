#include "resources/monitor_metrics.h"

namespace harvis::resources {

namespace {

prometheus::Gauge& SingleGauge(prometheus::Registry& registry, const char* name,
                               const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry,
                                                   const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

// prometheus-cpp 1.0 exposes a counter under exactly the family name (no "_total" added),
// so the family carries the suffix itself.
prometheus::Counter& SingleCounter(prometheus::Registry& registry, const char* name,
                                   const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

MonitorMetrics::MonitorMetrics(prometheus::Registry& registry)
    : ram_used_bytes_(SingleGauge(registry, "harvis_ram_used_bytes",
                                  "Host RAM in use by the container (working set)")),
      ram_limit_bytes_(SingleGauge(registry, "harvis_ram_limit_bytes",
                                   "Host RAM limit: the cgroup limit, else the machine's RAM")),
      cpu_used_cores_(SingleGauge(registry, "harvis_cpu_used_cores",
                                  "CPU cores busy over the last sampling interval")),
      cpu_allocated_cores_(SingleGauge(registry, "harvis_cpu_allocated_cores",
                                       "CPU cores allowed: the cgroup quota, else the CPUs")),
      restarts_total_(SingleCounter(registry, "harvis_restarts_total",
                                    "Starts after the first one recorded in the state dir")),
      unclean_shutdowns_total_(SingleCounter(
          registry, "harvis_unclean_shutdowns_total",
          "Starts that found the previous run had not shut down cleanly")),
      threshold_breached_(GaugeFamily(registry, "harvis_threshold_breached",
                                      "1 while a resource is over its alert threshold")),
      device_memory_total_(GaugeFamily(registry, "harvis_device_memory_total_bytes",
                                       "Memory of each device (GPUs, and host RAM's limit)")),
      device_memory_used_(GaugeFamily(registry, "harvis_device_memory_used_bytes",
                                      "Measured memory in use on each device")) {
  for (ThresholdResource resource : kThresholdResources) {
    threshold_breached_.Add({{"resource", ThresholdResourceName(resource)}}).Set(0);
  }
}

void MonitorMetrics::RecordRestarts(const RestartInfo& restarts) {
  restarts_total_.Increment(static_cast<double>(restarts.restarts));
  unclean_shutdowns_total_.Increment(static_cast<double>(restarts.unclean_shutdowns));
}

void MonitorMetrics::Update(const ResourceSnapshot& snapshot) {
  const HostResources& host = snapshot.host;
  ram_used_bytes_.Set(static_cast<double>(host.ram_used_bytes));
  ram_limit_bytes_.Set(static_cast<double>(host.ram_limit_bytes));
  cpu_used_cores_.Set(snapshot.cpu_used_cores.value_or(0));
  cpu_allocated_cores_.Set(host.cpu_allocated_cores);
  for (ThresholdResource resource : kThresholdResources) {
    threshold_breached_.Add({{"resource", ThresholdResourceName(resource)}})
        .Set(snapshot.breached[resource] ? 1 : 0);
  }
  SetDevice("ram", host.ram_limit_bytes, host.ram_used_bytes);
  for (const GpuInfo& gpu : snapshot.gpus) {
    SetDevice(gpu.id, gpu.memory_total_bytes, gpu.memory_used_bytes);
  }
}

void MonitorMetrics::SetDevice(const std::string& device, uint64_t total_bytes,
                               uint64_t used_bytes) {
  device_memory_total_.Add({{"device", device}}).Set(static_cast<double>(total_bytes));
  device_memory_used_.Add({{"device", device}}).Set(static_cast<double>(used_bytes));
}

}  // namespace harvis::resources
