// The Prometheus metrics of the resource monitors (SPEC §6): host RAM and CPU, restarts,
// thresholds, and device memory per GPU plus device="ram" for host RAM.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "resources/snapshot.h"

namespace harvis::resources {

class MonitorMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object. Families with
  // these names registered elsewhere with the same help text are shared.
  explicit MonitorMetrics(prometheus::Registry& registry);

  // Adds the restarts and unclean shutdowns of this start to their counters. Call once.
  void RecordRestarts(const RestartInfo& restarts);
  // Sets every gauge from `snapshot`. Thread-safe (prometheus-cpp metrics are), but
  // concurrent calls may interleave: the monitor calls it from one sampler at a time.
  void Update(const ResourceSnapshot& snapshot);

 private:
  void SetDevice(const std::string& device, uint64_t total_bytes, uint64_t used_bytes);

  prometheus::Gauge& ram_used_bytes_;
  prometheus::Gauge& ram_limit_bytes_;
  prometheus::Gauge& cpu_used_cores_;
  prometheus::Gauge& cpu_allocated_cores_;
  prometheus::Counter& restarts_total_;
  prometheus::Counter& unclean_shutdowns_total_;
  prometheus::Family<prometheus::Gauge>& threshold_breached_;
  prometheus::Family<prometheus::Gauge>& device_memory_total_;
  prometheus::Family<prometheus::Gauge>& device_memory_used_;
};

}  // namespace harvis::resources
