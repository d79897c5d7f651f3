#include "resources/cgroup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/units.h"
#include "resources/proc_stats.h"
#include "test_support.h"

namespace harvis::resources {
namespace {

using testing_support::Fixture;
using testing_support::FixturePaths;

// /proc fixtures describe a 64 GiB machine with 48 GiB available.
constexpr uint64_t kHostRam = 64 * kGiB;
constexpr uint64_t kHostRamUsed = 16 * kGiB;

// The "cpu" line of the /proc/stat fixtures: 170 busy ticks.
uint64_t FixtureHostCpuUsec() {
  return 170 * 1'000'000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
}

bool MentionsFile(const HostResources& host, const std::string& file) {
  for (const auto& problem : host.problems) {
    if (problem.find(file) != std::string::npos) return true;
  }
  return false;
}

TEST(CgroupTest, DetectsTheLayout) {
  EXPECT_EQ(DetectCgroupVersion(Fixture("cgroup/v2_limited")), CgroupVersion::kV2);
  EXPECT_EQ(DetectCgroupVersion(Fixture("cgroup/v1_limited")), CgroupVersion::kV1);
  EXPECT_EQ(DetectCgroupVersion(Fixture("cgroup/v1_unlimited")), CgroupVersion::kV1);
  EXPECT_EQ(DetectCgroupVersion(Fixture("cgroup/does-not-exist")), CgroupVersion::kNone);
}

TEST(CgroupTest, V2QuotaOfTwelveCoresAnd32GiB) {
  const HostResources host = ReadHostResources(FixturePaths("v2_limited"));
  EXPECT_EQ(host.source, "cgroup v2");
  EXPECT_TRUE(host.ram_limited);
  EXPECT_TRUE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, 32 * kGiB);
  EXPECT_DOUBLE_EQ(host.cpu_allocated_cores, 12.0);  // whatever this machine has
  EXPECT_EQ(host.ram_used_bytes, 7 * kGiB);           // 8 GiB current - 1 GiB inactive file
  EXPECT_EQ(host.cpu_usage_usec, 123456789u);
  EXPECT_TRUE(host.cpu_usage_from_cgroup);
  EXPECT_TRUE(host.problems.empty()) << host.problems.front();
}

TEST(CgroupTest, V2UnlimitedFallsBackToProcForLimits) {
  const HostResources host = ReadHostResources(FixturePaths("v2_unlimited"));
  EXPECT_EQ(host.source, "cgroup v2");
  EXPECT_FALSE(host.ram_limited);
  EXPECT_FALSE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, 4 * kGiB);  // the cgroup's own usage
  EXPECT_DOUBLE_EQ(host.cpu_allocated_cores, static_cast<double>(HostCpuCount()));
  EXPECT_EQ(host.cpu_usage_usec, 5000000u);
  EXPECT_TRUE(host.problems.empty());
}

TEST(CgroupTest, V2RootCgroupTakesUsageFromProc) {
  const HostResources host = ReadHostResources(FixturePaths("v2_root"));
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, kHostRamUsed);
  EXPECT_FALSE(host.cpu_usage_from_cgroup);
  EXPECT_EQ(host.cpu_usage_usec, FixtureHostCpuUsec());
}

TEST(CgroupTest, V2LimitsSetOnAnAncestorApply) {
  const HostResources host = ReadHostResources(FixturePaths("v2_nested", "nested"));
  EXPECT_EQ(host.ram_limit_bytes, 32 * kGiB);
  EXPECT_DOUBLE_EQ(host.cpu_allocated_cores, 12.0);
  EXPECT_EQ(host.ram_used_bytes, 2 * kGiB);  // usage of our own (leaf) cgroup
  EXPECT_EQ(host.cpu_usage_usec, 42000000u);
}

TEST(CgroupTest, LimitAboveTheMachineIsTheMachine) {
  const HostResources host = ReadHostResources(FixturePaths("v2_above_host"));
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_FALSE(host.ram_limited);
}

TEST(CgroupTest, V2MalformedFilesFallBackAndAreReported) {
  const HostResources host = ReadHostResources(FixturePaths("v2_malformed"));
  EXPECT_EQ(host.source, "cgroup v2");
  EXPECT_FALSE(host.ram_limited);
  EXPECT_FALSE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, kHostRamUsed);
  EXPECT_EQ(host.cpu_usage_usec, FixtureHostCpuUsec());
  EXPECT_TRUE(MentionsFile(host, "memory.max"));
  EXPECT_TRUE(MentionsFile(host, "memory.current"));
  EXPECT_TRUE(MentionsFile(host, "cpu.max"));
  EXPECT_TRUE(MentionsFile(host, "cpu.stat"));
}

TEST(CgroupTest, V1QuotaOfTwelveCoresAnd32GiBWithCombinedCpuDirectory) {
  const HostResources host = ReadHostResources(FixturePaths("v1_limited"));
  EXPECT_EQ(host.source, "cgroup v1");
  EXPECT_TRUE(host.ram_limited);
  EXPECT_TRUE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, 32 * kGiB);
  EXPECT_DOUBLE_EQ(host.cpu_allocated_cores, 12.0);
  EXPECT_EQ(host.ram_used_bytes, 8 * kGiB);  // 10 GiB usage - 2 GiB total_inactive_file
  EXPECT_EQ(host.cpu_usage_usec, 987654321u);  // cpuacct.usage is in nanoseconds
  EXPECT_TRUE(host.problems.empty()) << host.problems.front();
}

TEST(CgroupTest, V1UnlimitedFallsBackToProcForLimits) {
  const HostResources host = ReadHostResources(FixturePaths("v1_unlimited"));
  EXPECT_EQ(host.source, "cgroup v1");
  EXPECT_FALSE(host.ram_limited);
  EXPECT_FALSE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, 1 * kGiB);
  EXPECT_DOUBLE_EQ(host.cpu_allocated_cores, static_cast<double>(HostCpuCount()));
  EXPECT_EQ(host.cpu_usage_usec, 5000000u);
  EXPECT_TRUE(host.problems.empty());
}

TEST(CgroupTest, V1MalformedFilesFallBackAndAreReported) {
  const HostResources host = ReadHostResources(FixturePaths("v1_malformed"));
  EXPECT_FALSE(host.ram_limited);
  EXPECT_FALSE(host.cpu_limited);
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, kHostRamUsed);
  EXPECT_EQ(host.cpu_usage_usec, FixtureHostCpuUsec());
  EXPECT_TRUE(MentionsFile(host, "memory.limit_in_bytes"));
  EXPECT_TRUE(MentionsFile(host, "memory.usage_in_bytes"));
  EXPECT_TRUE(MentionsFile(host, "cpu.cfs_period_us"));
  EXPECT_TRUE(MentionsFile(host, "cpuacct.usage"));
}

TEST(CgroupTest, NoCgroupReadsProc) {
  const HostResources host = ReadHostResources(FixturePaths("does-not-exist"));
  EXPECT_EQ(host.source, "proc");
  EXPECT_EQ(host.ram_limit_bytes, kHostRam);
  EXPECT_EQ(host.ram_used_bytes, kHostRamUsed);
  EXPECT_EQ(host.cpu_usage_usec, FixtureHostCpuUsec());
  EXPECT_GE(host.cpu_allocated_cores, 1.0);
}

TEST(CgroupTest, BrokenProcIsReportedNotFatal) {
  const HostResources host = ReadHostResources(FixturePaths("does-not-exist", "broken"));
  EXPECT_EQ(host.ram_limit_bytes, 0u);
  EXPECT_EQ(host.cpu_usage_usec, 0u);
  EXPECT_TRUE(MentionsFile(host, "meminfo"));
  EXPECT_TRUE(MentionsFile(host, "stat"));
  EXPECT_GE(host.cpu_allocated_cores, 1.0);
}

TEST(CgroupTest, LiveSystemReadsSomething) {
  const HostResources host = ReadHostResources(HostPaths{});
  EXPECT_GT(host.ram_limit_bytes, 0u);
  EXPECT_GT(host.cpu_allocated_cores, 0.0);
}

TEST(ProcStatsTest, SelfCgroupLinesByController) {
  const auto paths = ReadSelfCgroups(Fixture("proc/nested"));
  EXPECT_EQ(paths.at("memory"), "/kubepods/pod1/ctr");
  EXPECT_EQ(paths.at("cpu"), "/kubepods/pod1/ctr");
  EXPECT_EQ(paths.at("cpuacct"), "/kubepods/pod1/ctr");
  EXPECT_EQ(paths.at(""), "/kubepods/pod1/ctr");
}

}  // namespace
}  // namespace harvis::resources
