// The scheduler's compute and prefetch (issue 10): calls on a GPU take that GPU's
// shares, not the host's cores; loads never wait for compute; prefetch moves likely
// models into the RAM tier and onto a device with room, never evicting; the
// clairvoyant reference evicts the model needed furthest in the future.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <thread>

#include "scheduler_test_util.h"

namespace harvis {
namespace {

using testing::Harness;
using testing::Host;
using testing::SimGpu;
using testing::SimModel;

SchedulerOptions OneCore() {
  SchedulerOptions o;
  o.cpu_cores = 1;
  o.queue_timeout = std::chrono::milliseconds(50);
  return o;
}

TEST(SchedulerComputeTest, GpuCallsDoNotWaitForTheHostsCores) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("stt", kGiB, ModelKind::kStt)}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)},
                      OneCore()).ok());
  auto lease = h.scheduler->Acquire("stt");
  ASSERT_TRUE(lease.ok());
  ASSERT_EQ(lease->device(), "gpu0");
  auto core = h.scheduler->cpu().TryAcquire(1);  // the only core is busy elsewhere
  ASSERT_TRUE(core);
  EXPECT_TRUE(lease->Transcribe(std::vector<float>(16)).ok());
}

TEST(SchedulerComputeTest, EachGpuLimitsItsOwnConcurrency) {
  Harness h;
  DeviceInfo gpu0 = SimGpu("gpu0", 24 * kGiB);
  gpu0.concurrency = 1;
  ModelConfig slow = SimModel("slow", kGiB, ModelKind::kStt);
  slow.device = "gpu0";
  slow.options["infer_time"] = "2s";
  ModelConfig other = SimModel("other", kGiB, ModelKind::kStt);
  other.device = "gpu0";
  ModelConfig elsewhere = SimModel("elsewhere", kGiB, ModelKind::kStt);
  elsewhere.device = "gpu1";
  ASSERT_TRUE(h.Build({slow, other, elsewhere}, {gpu0, SimGpu("gpu1", 24 * kGiB), Host(kGiB)},
                      OneCore()).ok());
  auto a = h.scheduler->Acquire("slow");
  auto b = h.scheduler->Acquire("other");
  auto c = h.scheduler->Acquire("elsewhere");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  std::thread busy([&] { EXPECT_TRUE(a->Transcribe(std::vector<float>(16)).ok()); });
  auto in_use = [&](const std::string& id) {
    for (const auto& d : h.scheduler->ListDevices()) {
      if (d.id == id) return d.compute_in_use;
    }
    return -1;
  };
  while (in_use("gpu0") == 0) std::this_thread::yield();
  auto refused = b->Transcribe(std::vector<float>(16));  // gpu0's only share is taken
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("compute share of gpu0"), std::string::npos);
  EXPECT_TRUE(c->Transcribe(std::vector<float>(16)).ok());  // gpu1 is free
  busy.join();
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerComputeTest, ALoadDoesNotWaitForBusyCores) {
  Harness h;
  ModelConfig m = SimModel("host-model", kGiB, ModelKind::kTts);
  m.device = "cpu";
  ASSERT_TRUE(h.Build({m}, {Host(8 * kGiB)}, OneCore()).ok());
  auto core = h.scheduler->cpu().TryAcquire(1);  // inference holds every core
  ASSERT_TRUE(core);
  auto lease = h.scheduler->Acquire("host-model");  // loads with one thread, at once
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_EQ(h.State("host-model"), "ready");
}

TEST(SchedulerComputeTest, LeasesCarryTheirPriority) {
  Harness h;
  ModelConfig stt = SimModel("stt", kGiB, ModelKind::kStt);
  stt.priority = Priority::kRealtime;
  ASSERT_TRUE(h.Build({stt}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  EXPECT_EQ(h.scheduler->Acquire("stt")->priority(), Priority::kRealtime);  // configured
  AcquireOptions batch;
  batch.priority = Priority::kBatch;
  EXPECT_EQ(h.scheduler->Acquire("stt", batch)->priority(), Priority::kBatch);
}

// Host models: their weights never enter the RAM tier on unload, so only prefetch puts
// them there. "voice" is evicted by pressure from "big"; then "big" is unloaded.
Status BuildPrefetchHarness(Harness& h, const std::string& policy, bool from_memory = true) {
  ModelConfig voice = SimModel("voice", kGiB, ModelKind::kTts);
  voice.options["from_memory"] = from_memory ? "true" : "false";
  ModelConfig big = SimModel("big", 2 * kGiB, ModelKind::kLlm);
  voice.device = big.device = "cpu";
  SchedulerOptions o;
  o.policy = policy;
  o.ram_tier_capacity = 2 * kGiB;
  if (Status st = h.Build({voice, big}, {Host(2 * kGiB)}, o); !st.ok()) return st;
  if (!h.scheduler->Acquire("voice").ok()) return Status(ErrorCode::kInternal, "voice failed");
  if (!h.scheduler->Acquire("big").ok()) return Status(ErrorCode::kInternal, "big failed");
  if (h.State("voice") != "unloaded") return Status(ErrorCode::kInternal, "voice was not evicted");
  return h.scheduler->Unload("big", false);
}

TEST(SchedulerPrefetchTest, MovesAModelWithHistoryIntoTheRamTierThenOntoItsDevice) {
  Harness h;
  ASSERT_TRUE(BuildPrefetchHarness(h, "cost").ok());
  ASSERT_FALSE(h.scheduler->GetModel("voice")->in_ram_tier);
  ASSERT_TRUE(h.scheduler->RunPrefetch());
  EXPECT_TRUE(h.scheduler->GetModel("voice")->in_ram_tier);
  EXPECT_EQ(h.State("voice"), "unloaded");
  ASSERT_TRUE(h.scheduler->RunPrefetch());  // the device has room: load it from RAM
  EXPECT_EQ(h.State("voice"), "ready");
  EXPECT_EQ(h.State("big"), "unloaded");  // unloaded by an admin: left alone
  EXPECT_FALSE(h.scheduler->RunPrefetch());  // nothing left to move
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerPrefetchTest, ModelsWithoutHistoryAreNotPrefetched) {
  Harness h;
  ModelConfig m = SimModel("voice", kGiB, ModelKind::kTts);
  m.device = "cpu";
  SchedulerOptions o;
  o.ram_tier_capacity = 4 * kGiB;
  ASSERT_TRUE(h.Build({m}, {Host(16 * kGiB)}, o).ok());
  EXPECT_FALSE(h.scheduler->RunPrefetch());
}

TEST(SchedulerPrefetchTest, PoliciesThatEmulateOtherServersDoNotPrefetch) {
  for (const char* policy : {"lru", "keepalive", "unload-after-use"}) {
    Harness h;
    ASSERT_TRUE(BuildPrefetchHarness(h, policy).ok()) << policy;
    EXPECT_FALSE(h.scheduler->RunPrefetch()) << policy;
  }
}

TEST(SchedulerPrefetchTest, NeverEvictsToPrefetch) {
  Harness h;
  SchedulerOptions o;
  o.ram_tier_capacity = 16 * kGiB;
  ModelConfig a = SimModel("a", 12 * kGiB), b = SimModel("b", 12 * kGiB);
  a.device = b.device = "gpu";
  ASSERT_TRUE(h.Build({a, b}, {SimGpu("gpu0", 16 * kGiB), Host(32 * kGiB)}, o).ok());
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  ASSERT_TRUE(h.scheduler->Acquire("b").ok());  // evicts a into the RAM tier
  ASSERT_TRUE(h.scheduler->GetModel("a")->in_ram_tier);
  EXPECT_FALSE(h.scheduler->RunPrefetch());  // a would fit only by evicting b
  EXPECT_EQ(h.State("b"), "ready");
  EXPECT_EQ(h.State("a"), "unloaded");
}

TEST(SchedulerPrefetchTest, EnginesThatCannotLoadFromMemoryAreNotPrefetched) {
  Harness h;
  ASSERT_TRUE(BuildPrefetchHarness(h, "cost", /*from_memory=*/false).ok());
  EXPECT_FALSE(h.scheduler->RunPrefetch());
  EXPECT_FALSE(h.scheduler->GetModel("voice")->in_ram_tier);
  EXPECT_EQ(h.State("voice"), "unloaded");
}

class TableForecast final : public UsageForecast {
 public:
  explicit TableForecast(std::map<std::string, double> next) : next_(std::move(next)) {}
  double SecondsToNextUse(const std::string& model, std::chrono::steady_clock::time_point) const override {
    auto it = next_.find(model);
    return it == next_.end() ? std::numeric_limits<double>::infinity() : it->second;
  }

 private:
  std::map<std::string, double> next_;
};

TEST(SchedulerClairvoyantTest, NeedsAForecast) {
  Harness h;
  SchedulerOptions o;
  o.policy = "clairvoyant";
  EXPECT_EQ(h.Build({}, {Host(kGiB)}, o).code(), ErrorCode::kInvalidArgument);
}

TEST(SchedulerClairvoyantTest, EvictsTheModelNeededFurthestInTheFuture) {
  Harness h;
  SchedulerOptions o;
  o.policy = "clairvoyant";
  SchedulerDeps deps;
  deps.forecast = std::make_shared<TableForecast>(std::map<std::string, double>{{"a", 5}, {"b", 500}});
  ASSERT_TRUE(h.Build({SimModel("a", 10 * kGiB), SimModel("b", 10 * kGiB), SimModel("c", 10 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o, deps).ok());
  ASSERT_TRUE(h.scheduler->Acquire("b").ok());
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());  // a is the more recent, but b is needed later
  ASSERT_TRUE(h.scheduler->Acquire("c").ok());
  EXPECT_EQ(h.State("a"), "ready");
  EXPECT_EQ(h.State("b"), "unloaded");
}

}  // namespace
}  // namespace harvis
