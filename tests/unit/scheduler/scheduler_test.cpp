// Behaviour of the Scheduler on simulated devices and engines (SPEC §4).
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "scheduler_test_util.h"

namespace harvis {
namespace {

using testing::Harness;
using testing::Host;
using testing::SimGpu;
using testing::SimModel;

SchedulerOptions FastQueue() {
  SchedulerOptions o;
  o.queue_timeout = std::chrono::milliseconds(50);
  return o;
}

TEST(SchedulerTest, LoadsOnDemandAndLeases) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("llm", 8 * kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(16 * kGiB)}).ok());
  EXPECT_EQ(h.State("llm"), "unloaded");
  {
    auto lease = h.scheduler->Acquire("llm");
    ASSERT_TRUE(lease.ok()) << lease.status().message();
    EXPECT_EQ(lease->device(), "gpu0");  // auto: the GPU first
    EXPECT_EQ(h.State("llm"), "ready");
    EXPECT_EQ(h.scheduler->GetModel("llm")->leases, 1);
    auto chat = lease->Chat({{"user", "hi"}}, {}, nullptr, nullptr);
    ASSERT_TRUE(chat.ok());
    EXPECT_EQ(chat->text, "This is a simulated answer to: hi");
  }
  auto snap = h.scheduler->GetModel("llm");
  EXPECT_EQ(snap->leases, 0);
  EXPECT_EQ(snap->bytes, 8 * kGiB);
  EXPECT_EQ(snap->load_count, 1);
  EXPECT_EQ(h.scheduler->Acquire("nope").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, EvictsTheColdModelUnderCostPolicy) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("hot", 10 * kGiB), SimModel("cold", 10 * kGiB),
                       SimModel("new", 10 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  ASSERT_TRUE(h.scheduler->Acquire("cold").ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(h.scheduler->Acquire("hot").ok());
    h.clock->Advance(std::chrono::seconds(5));
  }
  auto plan = h.scheduler->Plan("new");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->victims, std::vector<std::string>{"cold"});
  ASSERT_TRUE(h.scheduler->Acquire("new").ok());
  EXPECT_EQ(h.State("cold"), "unloaded");
  EXPECT_EQ(h.State("hot"), "ready");
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, LruPolicyEvictsLeastRecentlyUsed) {
  Harness h;
  SchedulerOptions o;
  o.policy = "lru";
  ASSERT_TRUE(h.Build({SimModel("a", 10 * kGiB), SimModel("b", 10 * kGiB), SimModel("c", 10 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  ASSERT_TRUE(h.scheduler->Acquire("b").ok());
  h.clock->Advance(std::chrono::seconds(1));
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  h.clock->Advance(std::chrono::seconds(1));
  ASSERT_TRUE(h.scheduler->Acquire("c").ok());
  EXPECT_EQ(h.State("b"), "unloaded");
  EXPECT_EQ(h.State("a"), "ready");
}

TEST(SchedulerTest, LeasedModelsAreNeverEvictedAndTheRequestWaitsThenGets503) {
  Harness h;
  SchedulerOptions o = FastQueue();
  ASSERT_TRUE(h.Build({SimModel("a", 16 * kGiB), SimModel("b", 16 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  auto a = h.scheduler->Acquire("a");
  ASSERT_TRUE(a.ok());
  auto b = h.scheduler->Acquire("b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(b.status().retry_after_seconds().has_value());
  EXPECT_EQ(h.State("a"), "ready");
  EXPECT_EQ(h.State("b"), "unloaded");
}

TEST(SchedulerTest, WaitingRequestProceedsWhenTheLeaseEnds) {
  Harness h;
  SchedulerOptions o;
  o.queue_timeout = std::chrono::seconds(30);
  ASSERT_TRUE(h.Build({SimModel("a", 16 * kGiB), SimModel("b", 16 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  auto a = h.scheduler->Acquire("a");
  ASSERT_TRUE(a.ok());
  std::atomic<bool> got_b{false};
  std::thread waiter([&] { got_b = h.scheduler->Acquire("b").ok(); });
  // Wait until the request is queued (no timing assertion: poll the state).
  while (h.scheduler->GetModel("b")->requests == 0) std::this_thread::yield();
  a->Release();
  waiter.join();
  EXPECT_TRUE(got_b);
  EXPECT_EQ(h.State("a"), "unloaded");
}

TEST(SchedulerTest, FullQueueRejectsAtOnce) {
  Harness h;
  SchedulerOptions o;
  o.queue_size = 0;
  ASSERT_TRUE(h.Build({SimModel("a", 16 * kGiB), SimModel("b", 16 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  auto a = h.scheduler->Acquire("a");
  auto b = h.scheduler->Acquire("b");
  EXPECT_EQ(b.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(b.status().message().find("queue is full"), std::string::npos);
  EXPECT_EQ(b.status().retry_after_seconds().value_or(0) >= 1, true);
}

TEST(SchedulerTest, FailedLoadBacksOffThenRetries) {
  Harness h;
  ModelConfig bad = SimModel("bad", kGiB);
  bad.options["fail_load"] = "true";
  ASSERT_TRUE(h.Build({bad}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  auto r = h.scheduler->Acquire("bad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(r.status().retry_after_seconds(), 1);
  auto snap = h.scheduler->GetModel("bad");
  EXPECT_EQ(snap->state, "failed");
  EXPECT_NE(snap->last_error.find("simulated load failure"), std::string::npos);
  EXPECT_EQ(snap->bytes, 0u);
  // In back-off: refused without a load attempt.
  auto again = h.scheduler->Acquire("bad");
  EXPECT_EQ(again.status().code(), ErrorCode::kUnavailable);
  h.clock->Advance(std::chrono::seconds(1));
  auto second = h.scheduler->Acquire("bad");  // tries again, fails: back-off doubles
  EXPECT_EQ(second.status().retry_after_seconds(), 2);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, UnloadIsRefusedWhileLeasedUnlessForced) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("a", kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  auto a = h.scheduler->Acquire("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(h.scheduler->Unload("a", false).code(), ErrorCode::kConflict);
  std::thread forced([&] { EXPECT_TRUE(h.scheduler->Unload("a", true).ok()); });
  while (h.scheduler->GetModel("a")->state == "ready" && a->valid()) {
    // New leases are refused while the forced unload waits.
    if (h.scheduler->GetModel("a")->leases == 1) break;
  }
  a->Release();
  forced.join();
  EXPECT_EQ(h.State("a"), "unloaded");
  EXPECT_TRUE(h.scheduler->Unload("a", false).ok());  // idempotent
  EXPECT_EQ(h.scheduler->Unload("zz", false).code(), ErrorCode::kNotFound);
}

TEST(SchedulerTest, KeepAliveExpiryAndUnloadAfterUse) {
  Harness h;
  SchedulerOptions o;
  o.policy = "keepalive";  // Ollama-style: reaped at expiry
  ModelConfig five = SimModel("five", kGiB);
  five.keep_alive = std::chrono::minutes(5);
  ModelConfig zero = SimModel("zero", kGiB);
  zero.keep_alive = Duration(0);
  ModelConfig forever = SimModel("forever", kGiB);
  ASSERT_TRUE(h.Build({five, zero, forever}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  for (const char* m : {"five", "zero", "forever"}) ASSERT_TRUE(h.scheduler->Acquire(m).ok());
  h.scheduler->RunMaintenance();
  EXPECT_EQ(h.State("zero"), "unloaded");
  EXPECT_EQ(h.State("five"), "ready");
  EXPECT_TRUE(h.scheduler->GetModel("five")->expires_at.has_value());
  h.clock->Advance(std::chrono::minutes(5));
  h.scheduler->RunMaintenance();
  EXPECT_EQ(h.State("five"), "unloaded");
  h.clock->Advance(std::chrono::hours(100));
  h.scheduler->RunMaintenance();
  EXPECT_EQ(h.State("forever"), "ready");
  EXPECT_FALSE(h.scheduler->GetModel("forever")->expires_at.has_value());
}

TEST(SchedulerTest, CostPolicyKeepsExpiredModelsResidentAsFirstVictims) {
  Harness h;  // default policy: cost
  ModelConfig hot = SimModel("hot", 10 * kGiB);
  hot.keep_alive = std::chrono::minutes(5);
  ModelConfig stale = SimModel("stale", 10 * kGiB);
  stale.keep_alive = std::chrono::minutes(5);
  ModelConfig zero = SimModel("zero", kGiB);
  zero.keep_alive = Duration(0);
  ASSERT_TRUE(h.Build({hot, stale, zero, SimModel("new", 10 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  // "stale" is used often then falls silent; "hot" is used rarely but recently.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(h.scheduler->Acquire("stale").ok());
    h.clock->Advance(std::chrono::seconds(2));
  }
  h.clock->Advance(std::chrono::minutes(4));
  ASSERT_TRUE(h.scheduler->Acquire("hot").ok());
  ASSERT_TRUE(h.scheduler->Acquire("zero").ok());
  h.clock->Advance(std::chrono::minutes(2));  // stale: idle 6 min > 5; hot: 2 min
  h.scheduler->RunMaintenance();
  EXPECT_EQ(h.State("zero"), "unloaded");  // keep_alive 0: unload after use, any policy
  EXPECT_EQ(h.State("stale"), "ready");    // expired but kept: memory is not needed
  auto snap = h.scheduler->GetModel("stale");
  ASSERT_TRUE(snap->expires_at.has_value());
  EXPECT_TRUE(snap->expired);
  EXPECT_LT(*snap->expires_at, std::chrono::system_clock::now());
  EXPECT_FALSE(h.scheduler->GetModel("hot")->expired);
  auto plan = h.scheduler->Plan("new");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->victims, std::vector<std::string>{"stale"});  // expired goes first
  ASSERT_TRUE(h.scheduler->Acquire("new").ok());
  EXPECT_EQ(h.State("stale"), "unloaded");
  EXPECT_EQ(h.State("hot"), "ready");
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

class CpuOnlyEngine final : public Engine {
 public:
  std::string_view engine_name() const override { return "cpuonly"; }
  ModelKind kind() const override { return ModelKind::kTts; }
  bool UsesGpu() const override { return false; }
  Status Load(const LoadRequest&) override {
    loaded_ = true;
    return Status::Ok();
  }
  std::uint64_t FootprintBytes() const override { return loaded_ ? 100 * kMiB : 0; }
  void Unload() override { loaded_ = false; }

 private:
  bool loaded_ = false;
};

TEST(SchedulerTest, CpuOnlyEnginesArePlacedInHostRamOnly) {
  Harness h;
  h.engines.Register("cpuonly", [](const ModelConfig&) -> Result<std::unique_ptr<Engine>> {
    return std::unique_ptr<Engine>(new CpuOnlyEngine());
  });
  ModelConfig tts = SimModel("tts", 100 * kMiB, ModelKind::kTts);
  tts.engine = "cpuonly";
  ASSERT_TRUE(h.Build({tts}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  ASSERT_TRUE(h.scheduler->Acquire("tts").ok());
  EXPECT_EQ(h.DeviceOf("tts"), "cpu");  // auto never picks the GPU for it
  for (const char* device : {"gpu", "gpu0"}) {
    Harness bad;
    bad.engines = h.engines;
    tts.device = device;
    Status st = bad.Build({tts}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)});
    EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << device;
    EXPECT_NE(st.message().find("runs only on the CPU"), std::string::npos) << st.message();
  }
}

TEST(SchedulerTest, UnloadAfterUsePolicyWithMaintenanceThread) {
  Harness h;
  SchedulerOptions o;
  o.policy = "unload-after-use";
  ASSERT_TRUE(h.Build({SimModel("a", kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  h.scheduler->Start();
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  while (h.State("a") != "unloaded") std::this_thread::yield();
  h.scheduler->Stop();
}

TEST(SchedulerTest, PinnedModelsAreNeverEvicted) {
  Harness h;
  ModelConfig pinned = SimModel("pinned", 16 * kGiB);
  pinned.pinned = true;
  ASSERT_TRUE(h.Build({pinned, SimModel("other", 16 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, FastQueue()).ok());
  ASSERT_TRUE(h.scheduler->Acquire("pinned").ok());
  EXPECT_EQ(h.scheduler->Acquire("other").status().code(), ErrorCode::kResourceExhausted);
  h.clock->Advance(std::chrono::hours(1));
  h.scheduler->RunMaintenance();
  EXPECT_EQ(h.State("pinned"), "ready");
}

TEST(SchedulerTest, ExclusiveGroupMembersSwap) {
  std::vector<std::string> unload_reasons;  // outlives the scheduler (its listener)
  Harness h;
  ModelConfig a = SimModel("voice-a", kGiB, ModelKind::kTts);
  ModelConfig b = SimModel("voice-b", kGiB, ModelKind::kTts);
  a.group = b.group = "audio";
  ASSERT_TRUE(h.Build({a, b}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, FastQueue()).ok());
  h.scheduler->SetEventListener([&](const SchedulerEvent& e) {
    if (e.kind == SchedulerEvent::Kind::kUnloaded) unload_reasons.push_back(e.detail);
  });
  ASSERT_TRUE(h.scheduler->Acquire("voice-a").ok());
  ASSERT_TRUE(h.scheduler->Acquire("voice-b").ok());  // plenty of room, still swapped
  EXPECT_EQ(h.State("voice-a"), "unloaded");
  EXPECT_EQ(unload_reasons, std::vector<std::string>{"group"});
  // While b is leased, a cannot come in (it waits, then gets 503).
  auto lease_b = h.scheduler->Acquire("voice-b");
  ASSERT_TRUE(lease_b.ok());
  EXPECT_EQ(h.scheduler->Acquire("voice-a").status().code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(h.State("voice-b"), "ready");
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, PlacementBestFitAndNamedDevices) {
  Harness h;
  ModelConfig cpu_only = SimModel("cpu-only", 2 * kGiB);
  cpu_only.device = "cpu";
  ModelConfig on1 = SimModel("on-gpu1", 4 * kGiB);
  on1.device = "gpu1";
  ASSERT_TRUE(h.Build({SimModel("mid", 6 * kGiB), cpu_only, on1},
                      {SimGpu("gpu0", 24 * kGiB), SimGpu("gpu1", 8 * kGiB), Host(16 * kGiB)}).ok());
  ASSERT_TRUE(h.scheduler->Acquire("mid").ok());
  EXPECT_EQ(h.DeviceOf("mid"), "gpu1");  // best fit: the smaller GPU
  ASSERT_TRUE(h.scheduler->Acquire("cpu-only").ok());
  EXPECT_EQ(h.DeviceOf("cpu-only"), "cpu");
  ASSERT_TRUE(h.scheduler->Acquire("on-gpu1").ok());  // evicts mid from gpu1
  EXPECT_EQ(h.DeviceOf("on-gpu1"), "gpu1");
  EXPECT_EQ(h.State("mid"), "unloaded");
  // Explicit device on Load.
  LoadOptions lo;
  lo.device = "gpu0";
  ASSERT_TRUE(h.scheduler->Load("mid", lo).ok());
  EXPECT_EQ(h.DeviceOf("mid"), "gpu0");
  lo.device = "cpu";
  EXPECT_EQ(h.scheduler->Load("mid", lo).code(), ErrorCode::kConflict);
  lo.device = "tpu9";
  EXPECT_EQ(h.scheduler->Load("mid", lo).code(), ErrorCode::kNotFound);
  auto devices = h.scheduler->ListDevices();
  ASSERT_EQ(devices.size(), 3u);
  EXPECT_EQ(devices[0].reserved, 6 * kGiB);
}

TEST(SchedulerTest, ModelLargerThanEveryBudgetIsRefused) {
  Harness h;
  Status st = h.Build({SimModel("huge", 40 * kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(16 * kGiB)});
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("huge"), std::string::npos);
  EXPECT_NE(st.message().find("never"), std::string::npos);
  Harness h2;
  ModelConfig bad_device = SimModel("m", kGiB);
  bad_device.device = "gpu7";
  EXPECT_EQ(h2.Build({bad_device}, {Host(16 * kGiB)}).code(), ErrorCode::kFailedPrecondition);
}

TEST(SchedulerTest, PreloadInPriorityOrderAndFailureDoesNotStopStartup) {
  Harness h;
  ModelConfig batch = SimModel("batch", kGiB);
  batch.preload = true;
  batch.priority = Priority::kBatch;
  ModelConfig rt = SimModel("rt", kGiB);
  rt.preload = true;
  rt.priority = Priority::kRealtime;
  ModelConfig broken = SimModel("broken", kGiB);
  broken.preload = true;
  broken.options["fail_load"] = "true";
  ModelConfig lazy = SimModel("lazy", kGiB);
  ASSERT_TRUE(h.Build({batch, broken, lazy, rt}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  auto results = h.scheduler->Preload();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].model, "rt");
  EXPECT_EQ(results[1].model, "broken");
  EXPECT_FALSE(results[1].status.ok());
  EXPECT_EQ(results[2].model, "batch");
  EXPECT_TRUE(results[2].status.ok());
  EXPECT_EQ(h.State("lazy"), "unloaded");
}

TEST(SchedulerTest, RamTierMakesTheNextLoadComeFromMemory) {
  Harness h;
  SchedulerOptions o;
  o.ram_tier_capacity = 16 * kGiB;
  ModelConfig a_cfg = SimModel("a", 16 * kGiB), b_cfg = SimModel("b", 16 * kGiB);
  a_cfg.device = b_cfg.device = "gpu";  // else "auto" would place b in host RAM
  ASSERT_TRUE(h.Build({a_cfg, b_cfg},
                      {SimGpu("gpu0", 24 * kGiB), Host(32 * kGiB)}, o).ok());
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  ASSERT_TRUE(h.scheduler->Acquire("b").ok());  // evicts a into the RAM tier
  auto a = h.scheduler->GetModel("a");
  EXPECT_TRUE(a->in_ram_tier);
  EXPECT_EQ(h.scheduler->ListDevices()[1].ram_tier_bytes, 16 * kGiB);
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());  // from RAM; b goes to the tier
  EXPECT_FALSE(h.scheduler->GetModel("a")->in_ram_tier);
  EXPECT_TRUE(h.scheduler->GetModel("b")->in_ram_tier);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, MeasurementsPersistAcrossRestarts) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("harvis-sched-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  SchedulerOptions o;
  o.state_dir = dir.string();
  {
    Harness h;
    ASSERT_TRUE(h.Build({SimModel("a", 3 * kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
    ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  }
  Harness h;
  ModelConfig undeclared = SimModel("a", 3 * kGiB);
  ASSERT_TRUE(h.Build({undeclared}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o).ok());
  EXPECT_EQ(h.scheduler->GetModel("a")->measured_bytes, 3 * kGiB);
  std::filesystem::remove_all(dir);
}

// Answers from a script (the last value repeats): a driver that keeps 1 GiB of a
// 2 GiB model after its unload.
class ScriptedProbe : public DeviceMemoryProbe {
 public:
  std::optional<std::uint64_t> UsedBytes(const std::string& device) override {
    if (device != "gpu0") return std::nullopt;
    std::lock_guard lock(mu_);
    const std::uint64_t v = script_.front();
    if (script_.size() > 1) script_.erase(script_.begin());
    return v;
  }
  void Script(std::vector<std::uint64_t> values) {
    std::lock_guard lock(mu_);
    script_ = std::move(values);
  }

 private:
  std::mutex mu_;
  std::vector<std::uint64_t> script_{kGiB};
};

TEST(SchedulerTest, CleanupVerificationReportsLeakedBytes) {
  Harness h;
  auto probe = std::make_shared<ScriptedProbe>();
  SchedulerOptions o;
  o.cleanup_polls = 2;
  o.cleanup_poll_interval = Duration(1);
  prometheus::Registry registry;
  SchedulerDeps deps;
  deps.probe = probe;
  deps.metrics = &registry;
  ASSERT_TRUE(h.Build({SimModel("a", 2 * kGiB)}, {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}, o, deps).ok());
  probe->Script({kGiB, 3 * kGiB});  // before and after the load: 2 GiB measured
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  EXPECT_EQ(h.scheduler->GetModel("a")->measured_bytes, 2 * kGiB);
  probe->Script({3 * kGiB, 2 * kGiB});  // before the unload, then every poll
  ASSERT_TRUE(h.scheduler->Unload("a", false).ok());
  EXPECT_EQ(h.scheduler->ListDevices()[0].leaked_bytes, kGiB);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find("harvis_memory_leaked_bytes{device=\"gpu0\"} 1073741824"), std::string::npos);
  EXPECT_NE(text.find("harvis_model_loads_total{model=\"a\",result=\"success\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("harvis_model_evictions_total{model=\"a\",reason=\"admin\"} 1"), std::string::npos);
  EXPECT_NE(text.find("harvis_device_memory_budget_bytes{device=\"gpu0\"}"), std::string::npos);
  EXPECT_NE(text.find("harvis_queue_depth{priority=\"realtime\"} 0"), std::string::npos);
  EXPECT_NE(text.find("harvis_model_load_seconds_bucket"), std::string::npos);
}

TEST(SchedulerTest, TurnLeasesStagesAndPrewarmsWithoutEvictingNeededModels) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("stt", 4 * kGiB, ModelKind::kStt), SimModel("llm", 12 * kGiB),
                       SimModel("tts", 4 * kGiB, ModelKind::kTts), SimModel("other", 8 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  ASSERT_TRUE(h.scheduler->Acquire("tts").ok());
  ASSERT_TRUE(h.scheduler->Acquire("other").ok());
  {
    Turn turn = h.scheduler->BeginTurn({"stt", "llm", "tts"});
    auto stt = turn.Stage(0);  // leases stt (4+4+8 = 16); prewarms llm (12): no room
    ASSERT_TRUE(stt.ok());
    auto text = (*stt)->Transcribe(std::vector<float>(1600));
    ASSERT_TRUE(text.ok());
    auto llm = turn.Stage(1);  // needs room: evicts "other", never tts (needed later)
    ASSERT_TRUE(llm.ok()) << llm.status().message();
    EXPECT_EQ(h.State("other"), "unloaded");
    EXPECT_EQ(h.State("tts"), "ready");
    auto tts = turn.Stage(2);
    ASSERT_TRUE(tts.ok());
    EXPECT_EQ(h.scheduler->GetModel("stt")->leases, 1);
  }
  EXPECT_EQ(h.scheduler->GetModel("stt")->leases, 0);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(SchedulerTest, PrewarmRefusesToEvictProtectedModels) {
  Harness h;
  ASSERT_TRUE(h.Build({SimModel("a", 12 * kGiB), SimModel("b", 12 * kGiB), SimModel("c", 12 * kGiB)},
                      {SimGpu("gpu0", 24 * kGiB), Host(kGiB)}).ok());
  ASSERT_TRUE(h.scheduler->Acquire("a").ok());
  ASSERT_TRUE(h.scheduler->Acquire("b").ok());
  EXPECT_EQ(h.scheduler->Prewarm("c", {"a", "b"}, Priority::kRealtime).status().code(),
            ErrorCode::kResourceExhausted);
  auto lease = h.scheduler->Prewarm("c", {"a"}, Priority::kRealtime);
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE(lease->valid());  // held for the turn: nothing evicts it before its stage
  EXPECT_EQ(lease->priority(), Priority::kRealtime);
  EXPECT_EQ(h.State("b"), "unloaded");
  EXPECT_EQ(h.scheduler->GetModel("c")->leases, 1);
}

TEST(SchedulerTest, HostCallsGetThreadsFromTheCpuBudget) {
  Harness h;
  SchedulerOptions o;
  o.cpu_cores = 3;
  ModelConfig stt = SimModel("stt", kGiB, ModelKind::kStt);
  stt.options["threads"] = "8";
  stt.device = "cpu";  // on the host: cores (on a GPU: a share of that GPU)
  ASSERT_TRUE(h.Build({stt}, {SimGpu("gpu0", 24 * kGiB), Host(2 * kGiB)}, o).ok());
  auto lease = h.scheduler->Acquire("stt");
  ASSERT_TRUE(lease.ok());
  auto grant = h.scheduler->cpu().TryAcquire(1);  // one core busy elsewhere
  // The simulated engine ignores threads; check the budget's arithmetic instead.
  auto r = lease->Transcribe(std::vector<float>(16));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(h.scheduler->cpu().in_use(), 1);
}

TEST(SchedulerTest, CallsWaitingPastTheQueueTimeoutForCoresOrSlotsAre503) {
  Harness h;
  SchedulerOptions o;
  o.cpu_cores = 1;
  o.queue_timeout = std::chrono::milliseconds(50);
  ModelConfig stt = SimModel("stt", kGiB, ModelKind::kStt);
  ModelConfig tts = SimModel("tts", kGiB, ModelKind::kTts);
  stt.device = tts.device = "cpu";
  ASSERT_TRUE(h.Build({stt, tts}, {SimGpu("gpu0", 24 * kGiB), Host(4 * kGiB)}, o).ok());
  auto a = h.scheduler->Acquire("stt");
  auto b = h.scheduler->Acquire("tts");
  ASSERT_TRUE(a.ok() && b.ok());
  {
    auto core = h.scheduler->cpu().TryAcquire(1);  // the only core is busy
    auto r = b->Synthesize("hello");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted);
    EXPECT_EQ(r.status().retry_after_seconds(), 1);
    EXPECT_NE(r.status().message().find("CPU core"), std::string::npos) << r.status().message();
  }
  EXPECT_TRUE(b->Synthesize("hello").ok());  // the core is free again
}

TEST(SchedulerTest, CallsWaitingPastTheQueueTimeoutForAParallelSlotAre503) {
  Harness h;
  SchedulerOptions o;
  o.cpu_cores = 4;
  o.queue_timeout = std::chrono::milliseconds(50);
  ModelConfig stt = SimModel("stt", kGiB, ModelKind::kStt);
  stt.options["infer_time"] = "1s";  // parallel 1: one call holds the only slot
  stt.device = "cpu";
  ASSERT_TRUE(h.Build({stt}, {SimGpu("gpu0", 24 * kGiB), Host(2 * kGiB)}, o).ok());
  auto first = h.scheduler->Acquire("stt");
  auto second = h.scheduler->Acquire("stt");
  ASSERT_TRUE(first.ok() && second.ok());
  std::thread busy([&] { EXPECT_TRUE(first->Transcribe(std::vector<float>(16)).ok()); });
  while (h.scheduler->cpu().in_use() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto r = second->Transcribe(std::vector<float>(16));
  busy.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("parallel slot"), std::string::npos) << r.status().message();
}

TEST(SchedulerTest, OptionsAndDevicesFromConfig) {
  Config c;
  c.scheduler.policy = "lru";
  c.budgets.cpu_fraction = 0.8;
  c.devices_auto = false;
  c.devices.push_back(DeviceConfig{"gpu0", DeviceKind::kGpu, 48 * kGiB, true});
  auto o = SchedulerOptionsFromConfig(c, 12, 20 * kGiB);
  EXPECT_EQ(o.policy, "lru");
  EXPECT_DOUBLE_EQ(o.cpu_cores, 9.6);
  auto devices = DevicesFromConfig(c, 20 * kGiB);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].budget, 24 * kGiB);  // capped by budgets.gpu_memory
  EXPECT_EQ(devices[1].id, "cpu");
  EXPECT_EQ(devices[1].budget, 20 * kGiB);
}

TEST(SchedulerTest, UnknownPolicyIsRejected) {
  Harness h;
  SchedulerOptions o;
  o.policy = "fifo";
  EXPECT_EQ(h.Build({}, {Host(kGiB)}, o).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace harvis
