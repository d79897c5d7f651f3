// Alert thresholds (SPEC §1, ThresholdsConfig): which resources are over their limit,
// exported as harvis_threshold_breached{resource} and logged when a flag changes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace harvis::resources {

enum class ThresholdResource { kGpuMemory, kRam, kCpu, kRestarts };

inline constexpr std::array<ThresholdResource, 4> kThresholdResources = {
    ThresholdResource::kGpuMemory, ThresholdResource::kRam, ThresholdResource::kCpu,
    ThresholdResource::kRestarts};

// "gpu_memory", "ram", "cpu", "restarts": the `resource` label value.
const char* ThresholdResourceName(ThresholdResource resource);

struct ThresholdFlags {
  bool gpu_memory = false;  // some GPU uses more than thresholds.gpu_memory
  bool ram = false;         // RAM used >= ram_fraction of the RAM limit
  bool cpu = false;         // cores used >= cpu_fraction of the allocated cores
  bool restarts = false;    // restarts > thresholds.restarts

  bool& operator[](ThresholdResource resource);
  bool operator[](ThresholdResource resource) const;
  bool operator==(const ThresholdFlags&) const = default;
};

// The measurements the thresholds look at.
struct ThresholdInput {
  std::vector<uint64_t> gpu_used_bytes;  // one entry per GPU
  uint64_t ram_used_bytes = 0;
  uint64_t ram_limit_bytes = 0;          // 0: unknown, never breached
  std::optional<double> cpu_used_cores;  // nullopt: not measured yet, flag unchanged
  double cpu_allocated_cores = 0;
  uint64_t restarts = 0;
};

// The flags for `input`; where a measurement is missing, the flag of `previous` stays.
// Thread-safe (pure).
ThresholdFlags EvaluateThresholds(const ThresholdsConfig& config, const ThresholdInput& input,
                                  const ThresholdFlags& previous = {});

struct ThresholdChange {
  ThresholdResource resource;
  bool breached;       // true: crossed; false: recovered
  std::string detail;  // the measurement against the threshold, for the log
};

// Keeps the current flags and logs each change once (warn when crossed, info when
// recovered), not every sample. Not thread-safe: one owner (the monitor) feeds it.
class ThresholdTracker {
 public:
  explicit ThresholdTracker(ThresholdsConfig config) : config_(config) {}

  // Evaluates `input`, logs and returns what changed since the previous call.
  std::vector<ThresholdChange> Update(const ThresholdInput& input);
  const ThresholdFlags& flags() const { return flags_; }
  const ThresholdsConfig& config() const { return config_; }

 private:
  ThresholdsConfig config_;
  ThresholdFlags flags_;
};

}  // namespace harvis::resources
