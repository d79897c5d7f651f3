#include "resources/monitor.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "core/units.h"
#include "test_support.h"

namespace harvis::resources {
namespace {

using testing_support::FixturePaths;

// v2 fixture of the reference deployment (12 cores, 32 GiB, 7 GiB used), no NVML,
// sampled only on demand.
MonitorOptions ReferenceOptions() {
  MonitorOptions options;
  options.paths = FixturePaths("v2_limited");
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  options.restarts.restarts = 2;
  options.restarts.unclean_shutdowns = 1;
  options.background = false;
  return options;
}

std::string Exposition(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

// The value of the sample written exactly as `series` (name plus labels), or NaN.
double Value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  ADD_FAILURE() << "no sample " << series << " in:\n" << text;
  return std::nan("");
}

TEST(MonitorTest, ExportsHostRestartAndThresholdMetrics) {
  prometheus::Registry registry;
  ResourceMonitor monitor(registry, ReferenceOptions());
  monitor.SampleNow();
  const std::string text = Exposition(registry);

  EXPECT_EQ(Value(text, "harvis_ram_used_bytes"), 7.0 * kGiB);
  EXPECT_EQ(Value(text, "harvis_ram_limit_bytes"), 32.0 * kGiB);
  EXPECT_EQ(Value(text, "harvis_cpu_allocated_cores"), 12.0);
  EXPECT_EQ(Value(text, "harvis_cpu_used_cores"), 0.0);  // the fixture's CPU time is fixed
  EXPECT_NE(text.find("# TYPE harvis_restarts_total counter"), std::string::npos);
  EXPECT_EQ(Value(text, "harvis_restarts_total"), 2.0);
  EXPECT_EQ(Value(text, "harvis_unclean_shutdowns_total"), 1.0);
  EXPECT_EQ(Value(text, "harvis_threshold_breached{resource=\"restarts\"}"), 1.0);
  EXPECT_EQ(Value(text, "harvis_threshold_breached{resource=\"ram\"}"), 0.0);
  EXPECT_EQ(Value(text, "harvis_threshold_breached{resource=\"cpu\"}"), 0.0);
  EXPECT_EQ(Value(text, "harvis_threshold_breached{resource=\"gpu_memory\"}"), 0.0);
  EXPECT_EQ(Value(text, "harvis_device_memory_total_bytes{device=\"ram\"}"), 32.0 * kGiB);
  EXPECT_EQ(Value(text, "harvis_device_memory_used_bytes{device=\"ram\"}"), 7.0 * kGiB);
  EXPECT_EQ(text.find("device=\"gpu"), std::string::npos);
}

TEST(MonitorTest, SnapshotWithoutNvmlHasNoGpus) {
  prometheus::Registry registry;
  ResourceMonitor monitor(registry, ReferenceOptions());
  const ResourceSnapshot first = monitor.Snapshot();  // taken by the constructor
  EXPECT_EQ(first.sample_number, 1u);
  EXPECT_FALSE(first.cpu_used_cores.has_value());
  EXPECT_FALSE(first.nvml_available);
  EXPECT_TRUE(first.gpus.empty());
  EXPECT_EQ(first.host.source, "cgroup v2");
  EXPECT_EQ(first.host.ram_limit_bytes, 32 * kGiB);
  EXPECT_TRUE(first.breached.restarts);
  EXPECT_FALSE(first.breached.ram);

  const ResourceSnapshot second = monitor.SampleNow();
  EXPECT_EQ(second.sample_number, 2u);
  EXPECT_EQ(second.cpu_used_cores.value_or(0.0), 0.0);
  EXPECT_EQ(monitor.Snapshot().sample_number, 2u);
}

TEST(MonitorTest, BackgroundThreadStopsOnDestruction) {
  prometheus::Registry registry;
  MonitorOptions options = ReferenceOptions();
  options.background = true;
  options.interval = std::chrono::hours(1);  // the destructor must not wait for it
  ResourceMonitor monitor(registry, options);
  EXPECT_GE(monitor.Snapshot().sample_number, 1u);
}

TEST(MonitorTest, SnapshotsAndSamplesWhileTheThreadSamples) {
  prometheus::Registry registry;
  MonitorOptions options = ReferenceOptions();
  options.background = true;
  options.interval = std::chrono::milliseconds(1);
  ResourceMonitor monitor(registry, options);
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    const uint64_t seen = (i % 2 == 0 ? monitor.Snapshot() : monitor.SampleNow()).sample_number;
    EXPECT_GE(seen, last);  // samples are numbered in the order they are taken
    last = seen;
    Exposition(registry);
  }
  EXPECT_EQ(monitor.Snapshot().host.ram_limit_bytes, 32 * kGiB);
}

#ifdef HARVIS_FAKE_NVML_V3
TEST(MonitorTest, ExportsDeviceMemoryPerGpu) {
  prometheus::Registry registry;
  MonitorOptions options = ReferenceOptions();
  options.nvml_library = HARVIS_FAKE_NVML_V3;
  ResourceMonitor monitor(registry, options);
  const std::string text = Exposition(registry);

  EXPECT_EQ(Value(text, "harvis_device_memory_total_bytes{device=\"gpu0\"}"), 24.0 * kGiB);
  EXPECT_EQ(Value(text, "harvis_device_memory_used_bytes{device=\"gpu0\"}"), 3.0 * kGiB);
  EXPECT_EQ(Value(text, "harvis_device_memory_used_bytes{device=\"gpu1\"}"), 25.0 * kGiB);
  // gpu1 uses 25 GiB, over the 24 GiB threshold.
  EXPECT_EQ(Value(text, "harvis_threshold_breached{resource=\"gpu_memory\"}"), 1.0);
  const ResourceSnapshot snapshot = monitor.Snapshot();
  EXPECT_TRUE(snapshot.nvml_available);
  ASSERT_EQ(snapshot.gpus.size(), 2u);
  EXPECT_TRUE(snapshot.breached.gpu_memory);
}
#endif

}  // namespace
}  // namespace harvis::resources
