// Scheduler metrics (SPEC §6) on a prometheus-cpp registry:
//   harvis_device_memory_budget_bytes{device}, harvis_device_memory_reserved_bytes{device},
//   harvis_model_resident{model,device}, harvis_model_loads_total{model,result},
//   harvis_model_load_seconds{model} (histogram), harvis_model_evictions_total{model,reason},
//   harvis_memory_leaked_bytes{device}, harvis_queue_depth{priority},
//   harvis_compute_capacity{device}, harvis_compute_in_use{device},
//   harvis_compute_waiting{device,priority} (issue 10: GPU shares, host cores).
// A null registry makes every call a no-op.
//
// Thread safety: thread-safe (prometheus-cpp families and metrics lock internally;
// those locks are leaves in the scheduler's lock order).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace harvis {

class SchedulerMetrics {
 public:
  explicit SchedulerMetrics(prometheus::Registry* registry);

  void SetDeviceBudget(const std::string& device, std::uint64_t bytes);
  void SetDeviceReserved(const std::string& device, std::uint64_t bytes);
  void SetResident(const std::string& model, const std::string& device, bool resident);
  // result label: "success" or "failure"; seconds only observed for successful loads.
  void CountLoad(const std::string& model, bool ok, double seconds);
  void CountEviction(const std::string& model, const std::string& reason);
  void AddLeaked(const std::string& device, std::uint64_t bytes);
  void SetQueueDepth(const std::string& priority, size_t depth);
  // A device's compute: capacity, units in use, calls waiting (realtime, normal, batch).
  void SetCompute(const std::string& device, int capacity, int in_use, const int waiting[3]);

 private:
  prometheus::Gauge* Gauge(prometheus::Family<prometheus::Gauge>* family,
                           const std::map<std::string, std::string>& labels);

  prometheus::Family<prometheus::Gauge>* budget_ = nullptr;
  prometheus::Family<prometheus::Gauge>* reserved_ = nullptr;
  prometheus::Family<prometheus::Gauge>* resident_ = nullptr;
  prometheus::Family<prometheus::Counter>* loads_ = nullptr;
  prometheus::Family<prometheus::Histogram>* load_seconds_ = nullptr;
  prometheus::Family<prometheus::Counter>* evictions_ = nullptr;
  prometheus::Family<prometheus::Gauge>* leaked_ = nullptr;
  prometheus::Family<prometheus::Gauge>* queue_depth_ = nullptr;
  prometheus::Family<prometheus::Gauge>* compute_capacity_ = nullptr;
  prometheus::Family<prometheus::Gauge>* compute_in_use_ = nullptr;
  prometheus::Family<prometheus::Gauge>* compute_waiting_ = nullptr;
};

}  // namespace harvis
