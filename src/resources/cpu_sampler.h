// CPU cores in use, from two readings of cumulative CPU time:
// cores = delta(CPU time) / delta(wall time).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace harvis::resources {

struct CpuSample {
  uint64_t usage_usec = 0;                     // cumulative busy CPU time
  std::chrono::steady_clock::time_point taken;  // when it was read
};

// Cores used between two samples; nullopt when no wall time passed or the CPU time
// went backwards (counter reset, or a different source). Thread-safe (pure).
std::optional<double> CoresUsedBetween(const CpuSample& earlier, const CpuSample& later);

// Remembers the previous sample. Not thread-safe: one owner (the monitor) feeds it.
class CpuSampler {
 public:
  // Records `sample` and returns the cores used since the previous one (nullopt for the
  // first sample, or when CoresUsedBetween gives none).
  std::optional<double> Add(const CpuSample& sample);

  // Forgets the previous sample, e.g. when the CPU-time source changed.
  void Reset() { previous_.reset(); }

 private:
  std::optional<CpuSample> previous_;
};

}  // namespace harvis::resources
