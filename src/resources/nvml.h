// GPUs through NVML, loaded at run time with dlopen("libnvidia-ml.so.1"): no CUDA at
// build time, and a machine without the driver simply has no GPUs (said once, at info
// level, never an error).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace harvis::resources {

namespace nvml_abi {
struct Api;
}

struct GpuInfo {
  unsigned index = 0;
  std::string id;  // "gpu0", "gpu1", ...: the device label in metrics and configuration
  std::string name;
  std::string uuid;  // "GPU-..." or empty when NVML would not say
  uint64_t memory_total_bytes = 0;
  uint64_t memory_used_bytes = 0;
  // Compute processes on this GPU: pid -> bytes (pids as the driver sees them, i.e. the
  // host's pid namespace; inside a container they may differ from getpid()).
  std::map<uint32_t, uint64_t> process_used_bytes;
  // This process's bytes on this GPU when the driver lists our pid.
  std::optional<uint64_t> own_used_bytes;
  std::string error;  // why some fields are missing, empty when all were read
};

class Nvml {
 public:
  static constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

  // Opens and initialises NVML from `library_path` (a soname or a path). When it cannot
  // be loaded or initialised, logs that once (info) and behaves as "no GPUs".
  explicit Nvml(std::string library_path = kDefaultLibrary);
  // Shuts NVML down and unloads the library. Not concurrent with other calls.
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // Whether NVML is loaded and initialised. Thread-safe.
  bool available() const;
  // One line for `harvis doctor`: the driver version, or why NVML is unavailable.
  // Thread-safe.
  std::string description() const;
  // Number of GPUs (0 when unavailable). Thread-safe.
  unsigned DeviceCount();
  // Every GPU with its memory and per-process usage (empty when unavailable). Per-device
  // failures are reported in GpuInfo::error. Thread-safe; the caller owns the result.
  std::vector<GpuInfo> Devices();

 private:
  bool Load();
  void Unload();

  mutable std::mutex mutex_;  // guards everything below; NVML is called under it
  std::string library_path_;
  void* handle_ = nullptr;  // from dlopen
  std::unique_ptr<nvml_abi::Api> api_;  // resolved entry points
  bool initialised_ = false;
  std::string description_;
};

}  // namespace harvis::resources
