// Device memory probe: how the scheduler measures a device's used memory around loads
// (footprint measurement) and after unloads (cleanup verification). The resources
// layer provides the real one (NVML on GPUs, RSS on the host); tests inject fakes.
// Simulated devices have no probe: the engine's own FootprintBytes() is the measure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace harvis {

class DeviceMemoryProbe {
 public:
  virtual ~DeviceMemoryProbe() = default;
  // Bytes in use on `device` now, or nullopt when this probe cannot tell. Thread-safe.
  virtual std::optional<std::uint64_t> UsedBytes(const std::string& device) = 0;
};

}  // namespace harvis
