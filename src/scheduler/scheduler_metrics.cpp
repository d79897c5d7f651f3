#include "scheduler/scheduler_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace harvis {

SchedulerMetrics::SchedulerMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) return;
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  budget_ = &BuildGauge()
                 .Name("harvis_device_memory_budget_bytes")
                 .Help("Memory budget of the device in bytes")
                 .Register(*registry);
  reserved_ = &BuildGauge()
                   .Name("harvis_device_memory_reserved_bytes")
                   .Help("Bytes reserved on the device by the scheduler's ledger")
                   .Register(*registry);
  resident_ = &BuildGauge()
                   .Name("harvis_model_resident")
                   .Help("1 when the model is loaded (or loading) on the device")
                   .Register(*registry);
  loads_ = &BuildCounter()
                .Name("harvis_model_loads_total")
                .Help("Model loads by result")
                .Register(*registry);
  load_seconds_ = &prometheus::BuildHistogram()
                       .Name("harvis_model_load_seconds")
                       .Help("Duration of successful model loads")
                       .Register(*registry);
  evictions_ = &BuildCounter()
                    .Name("harvis_model_evictions_total")
                    .Help("Model unloads by reason (pressure, group, expired, admin, failed)")
                    .Register(*registry);
  leaked_ = &BuildGauge()
                 .Name("harvis_memory_leaked_bytes")
                 .Help("Device memory not returned after unloads")
                 .Register(*registry);
  queue_depth_ = &BuildGauge()
                      .Name("harvis_queue_depth")
                      .Help("Requests waiting for room, by priority")
                      .Register(*registry);
  compute_capacity_ = &BuildGauge()
                           .Name("harvis_compute_capacity")
                           .Help("Concurrent engine calls a device runs: GPU shares, or host CPU cores")
                           .Register(*registry);
  compute_in_use_ = &BuildGauge()
                         .Name("harvis_compute_in_use")
                         .Help("Compute units of the device held by engine calls")
                         .Register(*registry);
  compute_waiting_ = &BuildGauge()
                          .Name("harvis_compute_waiting")
                          .Help("Engine calls waiting for the device's compute, by priority")
                          .Register(*registry);
}

prometheus::Gauge* SchedulerMetrics::Gauge(prometheus::Family<prometheus::Gauge>* family,
                                           const std::map<std::string, std::string>& labels) {
  return family == nullptr ? nullptr : &family->Add(labels);
}

void SchedulerMetrics::SetDeviceBudget(const std::string& device, std::uint64_t bytes) {
  if (auto* g = Gauge(budget_, {{"device", device}})) g->Set(static_cast<double>(bytes));
}

void SchedulerMetrics::SetDeviceReserved(const std::string& device, std::uint64_t bytes) {
  if (auto* g = Gauge(reserved_, {{"device", device}})) g->Set(static_cast<double>(bytes));
}

void SchedulerMetrics::SetResident(const std::string& model, const std::string& device,
                                   bool resident) {
  if (auto* g = Gauge(resident_, {{"model", model}, {"device", device}})) g->Set(resident ? 1 : 0);
}

void SchedulerMetrics::CountLoad(const std::string& model, bool ok, double seconds) {
  if (loads_ == nullptr) return;
  loads_->Add({{"model", model}, {"result", ok ? "success" : "failure"}}).Increment();
  if (ok) {
    static const prometheus::Histogram::BucketBoundaries kBuckets{
        0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120};
    load_seconds_->Add({{"model", model}}, kBuckets).Observe(seconds);
  }
}

void SchedulerMetrics::CountEviction(const std::string& model, const std::string& reason) {
  if (evictions_ == nullptr) return;
  evictions_->Add({{"model", model}, {"reason", reason}}).Increment();
}

void SchedulerMetrics::AddLeaked(const std::string& device, std::uint64_t bytes) {
  if (auto* g = Gauge(leaked_, {{"device", device}})) g->Increment(static_cast<double>(bytes));
}

void SchedulerMetrics::SetCompute(const std::string& device, int capacity, int in_use,
                                  const int waiting[3]) {
  if (compute_capacity_ == nullptr) return;
  compute_capacity_->Add({{"device", device}}).Set(capacity);
  compute_in_use_->Add({{"device", device}}).Set(in_use);
  const char* labels[3] = {"realtime", "normal", "batch"};
  for (int p = 0; p < 3; ++p) {
    compute_waiting_->Add({{"device", device}, {"priority", labels[p]}}).Set(waiting[p]);
  }
}

void SchedulerMetrics::SetQueueDepth(const std::string& priority, size_t depth) {
  if (auto* g = Gauge(queue_depth_, {{"priority", priority}})) g->Set(static_cast<double>(depth));
}

}  // namespace harvis
