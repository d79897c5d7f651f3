// Partial offload (issue 11): a model that can be split by layers (simulated `layers`, as
// llama.cpp's are) goes partly onto a GPU and partly into host RAM when the whole model
// would evict a model that will be needed, or would otherwise run entirely on the host.
#include <gtest/gtest.h>

#include "scheduler_test_util.h"

namespace harvis {
namespace {

using testing::Harness;
using testing::Host;
using testing::SimGpu;
using testing::SimModel;

ModelConfig Splittable(const std::string& name, std::uint64_t memory, int layers = 10) {
  ModelConfig m = SimModel(name, memory);
  m.options["layers"] = std::to_string(layers);
  return m;
}

// Uses `model` `times` times, a minute apart, so that it is likely to be needed again.
void MakeHot(Harness& h, const std::string& model, int times) {
  for (int i = 0; i < times; ++i) {
    auto lease = h.scheduler->Acquire(model);
    ASSERT_TRUE(lease.ok()) << lease.status().message();
    h.clock->Advance(std::chrono::minutes(1));
  }
}

std::uint64_t Reserved(const Harness& h, const std::string& device) {
  for (const auto& d : h.scheduler->ListDevices()) {
    if (d.id == device) return d.reserved;
  }
  return 0;
}

TEST(SchedulerSplitTest, SplitsRatherThanEvictAHotModelOrRunAllOnTheHost) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("hot", 20 * kGiB), Splittable("llm", 8 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).ok());
  MakeHot(h, "hot", 5);
  auto lease = h.scheduler->Acquire("llm");
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_EQ(lease->device(), "gpu0");
  auto llm = h.scheduler->GetModel("llm");
  ASSERT_TRUE(llm.ok());
  // 4 GiB free on gpu0: 5 of the 10 layers (4 GiB) there, the other 4 GiB in host RAM.
  EXPECT_EQ(llm->gpu_layers, 5);
  EXPECT_EQ(llm->bytes, 4 * kGiB);
  EXPECT_EQ(llm->host_bytes, 4 * kGiB);
  EXPECT_EQ(llm->measured_bytes, 8 * kGiB);  // the next prediction is the whole model
  EXPECT_EQ(h.State("hot"), "ready");
  EXPECT_EQ(Reserved(h, "gpu0"), 24 * kGiB);
  EXPECT_EQ(Reserved(h, "cpu"), 4 * kGiB);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
  EXPECT_TRUE(lease->Chat({{"user", "hi"}}, ChatOptions{}, [](std::string_view) { return true; }, nullptr).ok());

  // Unloaded, the next admission (a dry run) splits it again.
  lease->Release();
  ASSERT_TRUE(h.scheduler->Unload("llm", false).ok());
  EXPECT_EQ(Reserved(h, "cpu"), 0u);
  auto plan = h.scheduler->Plan("llm");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->device, "gpu0");
  EXPECT_EQ(plan->gpu_layers, 5);
  EXPECT_EQ(plan->host_bytes, 4 * kGiB);
  EXPECT_TRUE(plan->victims.empty());
}

TEST(SchedulerSplitTest, AModelThatFitsWholeIsNotSplit) {
  Harness h;
  ASSERT_TRUE(h.Build({Splittable("llm", 8 * kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).ok());
  auto lease = h.scheduler->Acquire("llm");
  ASSERT_TRUE(lease.ok());
  auto llm = h.scheduler->GetModel("llm");
  EXPECT_EQ(llm->device, "gpu0");
  EXPECT_EQ(llm->gpu_layers, -1);
  EXPECT_EQ(llm->host_bytes, 0u);
  EXPECT_EQ(Reserved(h, "cpu"), 0u);
}

TEST(SchedulerSplitTest, FewerThanHalfTheLayersIsNoSplit) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("hot", 22 * kGiB), Splittable("llm", 8 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).ok());
  MakeHot(h, "hot", 5);
  auto lease = h.scheduler->Acquire("llm");  // 2 GiB free: 2 of 10 layers
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(h.scheduler->GetModel("llm")->gpu_layers, -1);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerSplitTest, ModelsThatCannotSplitAreNeverSplit) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("hot", 20 * kGiB), SimModel("whole", 8 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).ok());
  MakeHot(h, "hot", 5);
  auto lease = h.scheduler->Acquire("whole");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(h.scheduler->GetModel("whole")->gpu_layers, -1);
  EXPECT_EQ(h.scheduler->GetModel("whole")->host_bytes, 0u);
}

TEST(SchedulerSplitTest, AModelLargerThanTheGpuLoadsSplitAndReleasesBothParts) {
  Harness h;
  ModelConfig big = Splittable("big", 30 * kGiB);
  big.keep_alive = std::chrono::seconds(0);
  ASSERT_TRUE(h.Build({big}, {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).ok());
  {
    auto lease = h.scheduler->Acquire("big");
    ASSERT_TRUE(lease.ok()) << lease.status().message();
    auto s = h.scheduler->GetModel("big");
    EXPECT_EQ(s->device, "gpu0");
    EXPECT_EQ(s->gpu_layers, 8);  // 24 of 30 GiB
    EXPECT_EQ(s->host_bytes, 6 * kGiB);
    EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
  }
  ASSERT_TRUE(h.scheduler->Unload("big", false).ok());
  EXPECT_EQ(Reserved(h, "gpu0"), 0u);
  EXPECT_EQ(Reserved(h, "cpu"), 0u);
  EXPECT_EQ(h.scheduler->GetModel("big")->host_bytes, 0u);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerSplitTest, TheSimulatedEngineParsesItsLayers) {
  Harness h;
  ModelConfig bad = Splittable("bad", kGiB);
  bad.options["layers"] = "many";
  EXPECT_EQ(h.Build({bad}, {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace harvis
