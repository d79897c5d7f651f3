#include "resources/thresholds.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/units.h"

namespace harvis::resources {

const char* ThresholdResourceName(ThresholdResource resource) {
  switch (resource) {
    case ThresholdResource::kGpuMemory: return "gpu_memory";
    case ThresholdResource::kRam: return "ram";
    case ThresholdResource::kCpu: return "cpu";
    case ThresholdResource::kRestarts: return "restarts";
  }
  return "unknown";
}

namespace {

// The member of `flags` (const or not) that holds `resource`'s flag.
template <typename Flags>
auto& FlagOf(Flags& flags, ThresholdResource resource) {
  switch (resource) {
    case ThresholdResource::kGpuMemory: return flags.gpu_memory;
    case ThresholdResource::kRam: return flags.ram;
    case ThresholdResource::kCpu: return flags.cpu;
    case ThresholdResource::kRestarts: break;
  }
  return flags.restarts;
}

uint64_t MaxGpuUsed(const ThresholdInput& input) {
  const auto& used = input.gpu_used_bytes;
  return used.empty() ? 0 : *std::max_element(used.begin(), used.end());
}

std::string Percent(double fraction) {
  return std::to_string(static_cast<int>(fraction * 100.0 + 0.5)) + "%";
}

std::string Describe(ThresholdResource resource, const ThresholdsConfig& config,
                     const ThresholdInput& input) {
  switch (resource) {
    case ThresholdResource::kGpuMemory:
      return FormatBytes(MaxGpuUsed(input)) + " used on the fullest GPU, threshold " +
             FormatBytes(config.gpu_memory);
    case ThresholdResource::kRam:
      return FormatBytes(input.ram_used_bytes) + " used of " +
             FormatBytes(input.ram_limit_bytes) + ", threshold " +
             Percent(config.ram_fraction);
    case ThresholdResource::kCpu:
      return fmt::format("{:.2f} cores used of {:.2f}, threshold {}",
                         input.cpu_used_cores.value_or(0), input.cpu_allocated_cores,
                         Percent(config.cpu_fraction));
    case ThresholdResource::kRestarts:
      return std::to_string(input.restarts) + " restarts, threshold " +
             std::to_string(config.restarts);
  }
  return {};
}

}  // namespace

bool& ThresholdFlags::operator[](ThresholdResource resource) {
  return FlagOf(*this, resource);
}

bool ThresholdFlags::operator[](ThresholdResource resource) const {
  return FlagOf(*this, resource);
}

ThresholdFlags EvaluateThresholds(const ThresholdsConfig& config, const ThresholdInput& input,
                                  const ThresholdFlags& previous) {
  ThresholdFlags flags;
  // "GPU memory must not exceed" the threshold: equal is still fine.
  flags.gpu_memory = MaxGpuUsed(input) > config.gpu_memory;
  // "RAM below 80% of the limit": reaching the fraction is a breach.
  flags.ram = input.ram_limit_bytes > 0 &&
              static_cast<double>(input.ram_used_bytes) >=
                  config.ram_fraction * static_cast<double>(input.ram_limit_bytes);
  flags.cpu = previous.cpu;
  if (input.cpu_used_cores) {
    flags.cpu = input.cpu_allocated_cores > 0 &&
                *input.cpu_used_cores >= config.cpu_fraction * input.cpu_allocated_cores;
  }
  flags.restarts = input.restarts > config.restarts;
  return flags;
}

std::vector<ThresholdChange> ThresholdTracker::Update(const ThresholdInput& input) {
  const ThresholdFlags next = EvaluateThresholds(config_, input, flags_);
  std::vector<ThresholdChange> changes;
  for (ThresholdResource resource : kThresholdResources) {
    if (next[resource] == flags_[resource]) continue;
    ThresholdChange change{resource, next[resource], Describe(resource, config_, input)};
    if (change.breached) {
      spdlog::warn("threshold crossed: {}: {}", ThresholdResourceName(resource), change.detail);
    } else {
      spdlog::info("threshold recovered: {}: {}", ThresholdResourceName(resource),
                   change.detail);
    }
    changes.push_back(std::move(change));
  }
  flags_ = next;
  return changes;
}

}  // namespace harvis::resources
