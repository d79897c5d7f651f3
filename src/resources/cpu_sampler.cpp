#include "resources/cpu_sampler.h"

namespace harvis::resources {

std::optional<double> CoresUsedBetween(const CpuSample& earlier, const CpuSample& later) {
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(later.taken -
                                                                          earlier.taken);
  if (wall.count() <= 0 || later.usage_usec < earlier.usage_usec) return std::nullopt;
  return static_cast<double>(later.usage_usec - earlier.usage_usec) /
         static_cast<double>(wall.count());
}

std::optional<double> CpuSampler::Add(const CpuSample& sample) {
  std::optional<double> cores;
  if (previous_) cores = CoresUsedBetween(*previous_, sample);
  previous_ = sample;
  return cores;
}

}  // namespace harvis::resources
