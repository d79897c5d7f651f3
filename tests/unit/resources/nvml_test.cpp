#include "resources/nvml.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/units.h"
#include "test_support.h"

namespace harvis::resources {
namespace {

using testing_support::LogCapture;

constexpr const char* kMissingLibrary = "/nonexistent/harvis/libnvidia-ml.so.1";

TEST(NvmlTest, MissingLibraryMeansNoGpusLoggedOnceAtInfo) {
  LogCapture log;
  Nvml nvml(kMissingLibrary);
  EXPECT_FALSE(nvml.available());
  EXPECT_EQ(nvml.DeviceCount(), 0u);
  EXPECT_TRUE(nvml.Devices().empty());
  EXPECT_TRUE(nvml.Devices().empty());
  EXPECT_NE(nvml.description().find(kMissingLibrary), std::string::npos);
  EXPECT_EQ(log.Count(kMissingLibrary), 1) << log.text();
  EXPECT_EQ(log.Count("info "), 1) << log.text();
  EXPECT_EQ(log.Count("error "), 0);
  EXPECT_EQ(log.Count("warning "), 0);
}

TEST(NvmlTest, LibraryWithoutNvmlSymbolsMeansNoGpus) {
  Nvml nvml("libm.so.6");
  EXPECT_FALSE(nvml.available());
  EXPECT_TRUE(nvml.Devices().empty());
  EXPECT_NE(nvml.description().find("nvmlInit_v2"), std::string::npos);
}

#if defined(HARVIS_FAKE_NVML_V3) && defined(HARVIS_FAKE_NVML_V1)

TEST(NvmlTest, ReadsDevicesMemoryAndProcessesFromTheV3Api) {
  Nvml nvml(HARVIS_FAKE_NVML_V3);
  ASSERT_TRUE(nvml.available()) << nvml.description();
  EXPECT_NE(nvml.description().find("999.99"), std::string::npos);
  EXPECT_EQ(nvml.DeviceCount(), 2u);
  const auto gpus = nvml.Devices();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].index, 0u);
  EXPECT_EQ(gpus[0].id, "gpu0");
  EXPECT_EQ(gpus[0].name, "Fake GPU Zero");
  EXPECT_EQ(gpus[0].uuid, "GPU-00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(gpus[0].memory_total_bytes, 24 * kGiB);
  EXPECT_EQ(gpus[0].memory_used_bytes, 3 * kGiB);
  // pid 4243's usage is "not available": left out rather than counted as 16 EiB.
  EXPECT_EQ(gpus[0].process_used_bytes.size(), 2u);
  EXPECT_EQ(gpus[0].process_used_bytes.at(4242), 256 * kMiB);
  ASSERT_TRUE(gpus[0].own_used_bytes.has_value());
  EXPECT_EQ(*gpus[0].own_used_bytes, 512 * kMiB);
  EXPECT_TRUE(gpus[0].error.empty()) << gpus[0].error;
  EXPECT_EQ(gpus[1].id, "gpu1");
  EXPECT_EQ(gpus[1].memory_used_bytes, 25 * kGiB);
  EXPECT_EQ(gpus[1].process_used_bytes.size(), 40u);  // more than the first buffer held
  EXPECT_FALSE(gpus[1].own_used_bytes.has_value());
}

TEST(NvmlTest, FallsBackToTheUnversionedProcessList) {
  Nvml nvml(HARVIS_FAKE_NVML_V1);
  ASSERT_TRUE(nvml.available()) << nvml.description();
  const auto gpus = nvml.Devices();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].process_used_bytes.at(4242), 256 * kMiB);
  EXPECT_EQ(gpus[0].own_used_bytes.value_or(0), 512 * kMiB);
  EXPECT_EQ(gpus[1].process_used_bytes.size(), 40u);
}

TEST(NvmlTest, FailedInitialisationMeansNoGpus) {
  LogCapture log;
  ::setenv("HARVIS_FAKE_NVML_FAIL_INIT", "1", 1);
  Nvml nvml(HARVIS_FAKE_NVML_V3);
  ::unsetenv("HARVIS_FAKE_NVML_FAIL_INIT");
  EXPECT_FALSE(nvml.available());
  EXPECT_TRUE(nvml.Devices().empty());
  EXPECT_NE(nvml.description().find("Driver Not Loaded"), std::string::npos);
  EXPECT_EQ(log.Count("Driver Not Loaded"), 1) << log.text();
}

#endif

}  // namespace
}  // namespace harvis::resources
