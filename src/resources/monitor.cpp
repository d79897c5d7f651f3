#include "resources/monitor.h"

#include <spdlog/spdlog.h>

namespace harvis::resources {

namespace {

ThresholdInput ThresholdInputOf(const ResourceSnapshot& snapshot) {
  ThresholdInput input;
  for (const GpuInfo& gpu : snapshot.gpus) input.gpu_used_bytes.push_back(gpu.memory_used_bytes);
  input.ram_used_bytes = snapshot.host.ram_used_bytes;
  input.ram_limit_bytes = snapshot.host.ram_limit_bytes;
  input.cpu_used_cores = snapshot.cpu_used_cores;
  input.cpu_allocated_cores = snapshot.host.cpu_allocated_cores;
  input.restarts = snapshot.restarts.restarts;
  return input;
}

}  // namespace

ResourceMonitor::ResourceMonitor(prometheus::Registry& registry, MonitorOptions options)
    : options_(std::move(options)),
      nvml_(options_.nvml_library),
      metrics_(registry),
      thresholds_(options_.thresholds) {
  metrics_.RecordRestarts(options_.restarts);
  const ResourceSnapshot first = SampleNow();
  spdlog::info("resources: {}, RAM limit {}, {:.2f} CPU cores allocated, {} GPU(s)",
               first.host.source, FormatBytes(first.host.ram_limit_bytes),
               first.host.cpu_allocated_cores, first.gpus.size());
  for (const std::string& problem : first.host.problems) {
    spdlog::warn("resources: {}", problem);
  }
  if (options_.background) thread_ = std::thread([this] { Run(); });
}

ResourceMonitor::~ResourceMonitor() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ResourceSnapshot ResourceMonitor::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  return snapshot_;
}

ResourceSnapshot ResourceMonitor::SampleNow() {
  std::lock_guard sample_lock(sample_mutex_);
  ResourceSnapshot snapshot;
  snapshot.host = ReadHostResources(options_.paths);
  const auto now = std::chrono::steady_clock::now();
  if (snapshot.host.cpu_usage_from_cgroup != cpu_usage_from_cgroup_) cpu_sampler_.Reset();
  cpu_usage_from_cgroup_ = snapshot.host.cpu_usage_from_cgroup;
  snapshot.cpu_used_cores = cpu_sampler_.Add({snapshot.host.cpu_usage_usec, now});
  snapshot.gpus = nvml_.Devices();
  snapshot.nvml_available = nvml_.available();
  snapshot.nvml_description = nvml_.description();
  snapshot.thresholds = options_.thresholds;
  snapshot.restarts = options_.restarts;
  thresholds_.Update(ThresholdInputOf(snapshot));
  snapshot.breached = thresholds_.flags();
  snapshot.taken_at = std::chrono::system_clock::now();
  snapshot.sample_number = ++samples_taken_;
  metrics_.Update(snapshot);
  std::lock_guard state_lock(state_mutex_);
  snapshot_ = snapshot;
  return snapshot;
}

void ResourceMonitor::Run() {
  std::unique_lock lock(state_mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) break;
    lock.unlock();
    SampleNow();
    lock.lock();
  }
}

}  // namespace harvis::resources
