// ResourceMonitor: samples host RAM and CPU (cgroup, else /proc) and GPUs (NVML) on a
// background thread, evaluates the alert thresholds, and keeps the Prometheus metrics
// and the latest snapshot up to date.
//
// Lock order: sample_mutex_ -> state_mutex_. The Nvml's own mutex is taken only while
// sample_mutex_ is held, never under state_mutex_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/config.h"
#include "core/units.h"
#include "resources/cgroup.h"
#include "resources/cpu_sampler.h"
#include "resources/monitor_metrics.h"
#include "resources/nvml.h"
#include "resources/restarts.h"
#include "resources/snapshot.h"
#include "resources/thresholds.h"

namespace harvis::resources {

struct MonitorOptions {
  HostPaths paths;  // cgroup and /proc roots
  std::string nvml_library = Nvml::kDefaultLibrary;
  ThresholdsConfig thresholds;
  RestartInfo restarts;  // from RecordStart
  Duration interval = std::chrono::seconds(1);
  // false: no background thread; readings change only on SampleNow() (for tests).
  bool background = true;
};

class ResourceMonitor {
 public:
  // Loads NVML, registers the metrics in `registry` (which must outlive the monitor),
  // takes a first sample, then starts sampling every `options.interval`.
  ResourceMonitor(prometheus::Registry& registry, MonitorOptions options);
  // Stops the sampling thread promptly (it waits on a condition variable, not a sleep).
  ~ResourceMonitor();
  ResourceMonitor(const ResourceMonitor&) = delete;
  ResourceMonitor& operator=(const ResourceMonitor&) = delete;

  // The latest readings, by value. Thread-safe; never blocks on a sample in progress.
  ResourceSnapshot Snapshot() const;
  // Takes a sample now, updates metrics and the snapshot, and returns it. Thread-safe.
  ResourceSnapshot SampleNow();
  // The monitor's NVML, for callers measuring GPU memory (e.g. around a model load).
  // Thread-safe; owned by the monitor.
  Nvml& nvml() { return nvml_; }

 private:
  void Run();

  const MonitorOptions options_;
  Nvml nvml_;
  MonitorMetrics metrics_;

  std::mutex sample_mutex_;  // serialises sampling; guards the members below
  CpuSampler cpu_sampler_;
  bool cpu_usage_from_cgroup_ = false;
  ThresholdTracker thresholds_;
  uint64_t samples_taken_ = 0;

  mutable std::mutex state_mutex_;  // guards snapshot_ and stopping_
  std::condition_variable wake_;
  ResourceSnapshot snapshot_;
  bool stopping_ = false;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace harvis::resources
