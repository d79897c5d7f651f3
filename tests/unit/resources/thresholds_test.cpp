#include "resources/thresholds.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace harvis::resources {
namespace {

using testing_support::LogCapture;

// Reference deployment: 32 GiB limit, 12 cores, defaults (24 GiB, 80%, 80%, 0 restarts).
ThresholdInput Calm() {
  ThresholdInput input;
  input.gpu_used_bytes = {10 * kGiB};
  input.ram_used_bytes = 8 * kGiB;
  input.ram_limit_bytes = 32 * kGiB;
  input.cpu_used_cores = 2.0;
  input.cpu_allocated_cores = 12.0;
  input.restarts = 0;
  return input;
}

TEST(ThresholdsTest, ResourceNamesAreTheLabelValues) {
  EXPECT_STREQ(ThresholdResourceName(ThresholdResource::kGpuMemory), "gpu_memory");
  EXPECT_STREQ(ThresholdResourceName(ThresholdResource::kRam), "ram");
  EXPECT_STREQ(ThresholdResourceName(ThresholdResource::kCpu), "cpu");
  EXPECT_STREQ(ThresholdResourceName(ThresholdResource::kRestarts), "restarts");
}

TEST(ThresholdsTest, CalmReferenceDeploymentBreachesNothing) {
  EXPECT_EQ(EvaluateThresholds(ThresholdsConfig{}, Calm()), ThresholdFlags{});
}

TEST(ThresholdsTest, EachResourceAtItsBoundary) {
  const ThresholdsConfig config;
  ThresholdInput input = Calm();
  input.gpu_used_bytes = {1 * kGiB, 24 * kGiB};  // equal to 24 GiB: not exceeded
  EXPECT_FALSE(EvaluateThresholds(config, input).gpu_memory);
  input.gpu_used_bytes = {1 * kGiB, 24 * kGiB + 1};
  EXPECT_TRUE(EvaluateThresholds(config, input).gpu_memory);

  input = Calm();
  input.ram_limit_bytes = 10 * kGiB;
  input.ram_used_bytes = 8 * kGiB - 1;  // just below 80%
  EXPECT_FALSE(EvaluateThresholds(config, input).ram);
  input.ram_used_bytes = 8 * kGiB;  // 80%: no longer below it
  EXPECT_TRUE(EvaluateThresholds(config, input).ram);

  input = Calm();
  input.cpu_allocated_cores = 10.0;
  input.cpu_used_cores = 7.99;
  EXPECT_FALSE(EvaluateThresholds(config, input).cpu);
  input.cpu_used_cores = 8.0;  // 80% of 10
  EXPECT_TRUE(EvaluateThresholds(config, input).cpu);

  input = Calm();
  input.restarts = 1;
  EXPECT_TRUE(EvaluateThresholds(config, input).restarts);
  EXPECT_FALSE(EvaluateThresholds(ThresholdsConfig{.restarts = 3}, input).restarts);
}

TEST(ThresholdsTest, UnknownMeasurementsDoNotBreachOrFlip) {
  ThresholdInput input = Calm();
  input.ram_limit_bytes = 0;
  input.cpu_used_cores.reset();
  EXPECT_FALSE(EvaluateThresholds(ThresholdsConfig{}, input).ram);
  ThresholdFlags previous;
  previous.cpu = true;
  EXPECT_TRUE(EvaluateThresholds(ThresholdsConfig{}, input, previous).cpu);
  input.gpu_used_bytes.clear();
  EXPECT_FALSE(EvaluateThresholds(ThresholdsConfig{}, input).gpu_memory);
}

TEST(ThresholdsTest, TrackerLogsOnlyWhenAFlagChanges) {
  LogCapture log;
  ThresholdTracker tracker{ThresholdsConfig{}};
  EXPECT_TRUE(tracker.Update(Calm()).empty());

  ThresholdInput busy = Calm();
  busy.ram_used_bytes = 30 * kGiB;
  busy.cpu_used_cores = 11.0;
  const auto crossed = tracker.Update(busy);
  ASSERT_EQ(crossed.size(), 2u);
  EXPECT_EQ(crossed[0].resource, ThresholdResource::kRam);
  EXPECT_TRUE(crossed[0].breached);
  EXPECT_EQ(crossed[1].resource, ThresholdResource::kCpu);
  EXPECT_TRUE(tracker.flags().ram);
  EXPECT_TRUE(tracker.Update(busy).empty());  // still breached: nothing new
  EXPECT_TRUE(tracker.Update(busy).empty());

  const auto recovered = tracker.Update(Calm());
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_FALSE(recovered[0].breached);
  EXPECT_EQ(tracker.flags(), ThresholdFlags{});

  EXPECT_EQ(log.Count("warning threshold crossed: ram"), 1) << log.text();
  EXPECT_EQ(log.Count("warning threshold crossed: cpu"), 1);
  EXPECT_EQ(log.Count("threshold recovered: ram"), 1);
  EXPECT_EQ(log.Count("threshold crossed") + log.Count("threshold recovered"), 4);
}

}  // namespace
}  // namespace harvis::resources
