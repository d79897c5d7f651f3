// One reading of every resource the monitor watches: what `harvis doctor` prints and
// what /api/resources will serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resources/cgroup.h"
#include "resources/nvml.h"
#include "resources/restarts.h"
#include "resources/thresholds.h"

namespace harvis::resources {

struct ResourceSnapshot {
  HostResources host;
  // Cores busy since the previous sample; nullopt after the first sample only.
  std::optional<double> cpu_used_cores;
  std::vector<GpuInfo> gpus;  // empty without NVML
  bool nvml_available = false;
  std::string nvml_description;  // driver version, or why there are no GPUs
  ThresholdsConfig thresholds;
  ThresholdFlags breached;
  RestartInfo restarts;
  std::chrono::system_clock::time_point taken_at;
  uint64_t sample_number = 0;  // 1 for the first sample
};

}  // namespace harvis::resources
