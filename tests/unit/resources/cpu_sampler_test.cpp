#include "resources/cpu_sampler.h"

#include <gtest/gtest.h>

namespace harvis::resources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::chrono::steady_clock::time_point kStart{};

TEST(CpuSamplerTest, CoresAreCpuTimeOverWallTime) {
  // 3 s of CPU time in 2 s of wall time: 1.5 cores.
  EXPECT_DOUBLE_EQ(*CoresUsedBetween({1'000'000, kStart}, {4'000'000, kStart + seconds(2)}),
                   1.5);
  // Twelve cores flat out for 500 ms.
  EXPECT_DOUBLE_EQ(
      *CoresUsedBetween({0, kStart}, {6'000'000, kStart + milliseconds(500)}), 12.0);
  EXPECT_DOUBLE_EQ(*CoresUsedBetween({7, kStart}, {7, kStart + seconds(1)}), 0.0);
}

TEST(CpuSamplerTest, NoAnswerWithoutElapsedTimeOrWhenTheCounterGoesBack) {
  EXPECT_FALSE(CoresUsedBetween({0, kStart}, {5, kStart}));
  EXPECT_FALSE(CoresUsedBetween({0, kStart + seconds(1)}, {5, kStart}));
  EXPECT_FALSE(CoresUsedBetween({10, kStart}, {5, kStart + seconds(1)}));
}

TEST(CpuSamplerTest, FirstSampleHasNoRateThenEachUsesThePrevious) {
  CpuSampler sampler;
  EXPECT_FALSE(sampler.Add({1'000'000, kStart}));
  EXPECT_DOUBLE_EQ(*sampler.Add({2'000'000, kStart + seconds(1)}), 1.0);
  EXPECT_DOUBLE_EQ(*sampler.Add({6'000'000, kStart + seconds(3)}), 2.0);
}

TEST(CpuSamplerTest, ResetForgetsThePreviousSample) {
  CpuSampler sampler;
  EXPECT_FALSE(sampler.Add({1'000'000, kStart}));
  sampler.Reset();
  EXPECT_FALSE(sampler.Add({9'000'000, kStart + seconds(1)}));
  EXPECT_DOUBLE_EQ(*sampler.Add({9'500'000, kStart + seconds(2)}), 0.5);
}

}  // namespace
}  // namespace harvis::resources
