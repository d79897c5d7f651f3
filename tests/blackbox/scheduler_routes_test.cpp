// Black-box tests of the residency scheduler through its HTTP routes, with simulated
// models on a simulated GPU: on-demand loads, eviction, the bounded queue, failed loads
// with back-off, and leases that block unloading.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kConfig = R"(
devices: [ { id: gpu0, kind: gpu, memory: 10GiB, simulated: true } ]
scheduler: { queue_size: 1, queue_timeout: 3s }
models:
  - { name: llm-a, kind: llm, engine: simulated, memory: 4GiB, device: gpu0 }
  - { name: llm-b, kind: llm, engine: simulated, memory: 4GiB, device: gpu0 }
  - { name: llm-c, kind: llm, engine: simulated, memory: 4GiB, device: gpu0 }
  - { name: big, kind: llm, engine: simulated, memory: 8GiB, device: gpu0 }
  - { name: slow, kind: llm, engine: simulated, memory: 8GiB, device: gpu0, options: { infer_time: 2s } }
  - { name: broken, kind: llm, engine: simulated, memory: 1GiB, device: gpu0, options: { fail_load: true } }
  - { name: stt, kind: stt, engine: simulated, memory: 1GiB, device: gpu0 }
)";

std::string ChatBody(const std::string& model) {
  return json{{"model", model}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}}.dump();
}

httplib::Result Chat(const HarvisProcess& h, const std::string& model) {
  return h.Client().Post("/v1/chat/completions", ChatBody(model), "application/json");
}

json Model(const HarvisProcess& h, const std::string& name) {
  const json all = GetJson(h, "/api/models");
  for (const auto& m : all["models"]) {
    if (m["name"] == name) return m;
  }
  return {};
}

// Waits (bounded) until `predicate` holds; returns whether it did.
template <typename Predicate>
bool Eventually(Predicate predicate) {
  for (int i = 0; i < 500; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class SchedulerRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    harvis_ = std::make_unique<HarvisProcess>(HarvisProcess::Options{.config_yaml = kConfig});
    ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  }
  std::unique_ptr<HarvisProcess> harvis_;
};

TEST_F(SchedulerRoutes, ARequestLoadsItsModelOnDemand) {
  EXPECT_TRUE(Resident(*harvis_).empty());
  auto res = Chat(*harvis_, "llm-a");
  ASSERT_TRUE(res) << harvis_->Log();
  ASSERT_EQ(res->status, 200) << res->body;
  auto resident = Resident(*harvis_);
  ASSERT_EQ(resident.count("llm-a"), 1u);
  EXPECT_EQ(resident["llm-a"]["state"], "ready");
  EXPECT_EQ(resident["llm-a"]["device"], "gpu0");
  EXPECT_EQ(resident["llm-a"]["bytes"], 4ull << 30);
  EXPECT_EQ(resident["llm-a"]["leases"], 0);
  EXPECT_EQ(Model(*harvis_, "llm-a")["load_count"], 1);
}

TEST_F(SchedulerRoutes, ANewModelEvictsWhatIsCheapestToLose) {
  // llm-a is asked for again and again; llm-b once, most recently. On a 10 GiB GPU the
  // third 4 GiB model must evict one of them: the cost policy keeps the busy one.
  for (int i = 0; i < 8; ++i) ASSERT_EQ(Chat(*harvis_, "llm-a")->status, 200);
  ASSERT_EQ(Chat(*harvis_, "llm-b")->status, 200);
  ASSERT_EQ(Chat(*harvis_, "llm-c")->status, 200);
  auto resident = Resident(*harvis_);
  EXPECT_EQ(resident.count("llm-a"), 1u);
  EXPECT_EQ(resident.count("llm-b"), 0u);
  EXPECT_EQ(resident.count("llm-c"), 1u);
  auto metrics = harvis_->Client().Get("/metrics");
  EXPECT_NE(metrics->body.find("harvis_model_evictions_total{model=\"llm-b\",reason=\"pressure\"} 1"),
            std::string::npos);
}

TEST_F(SchedulerRoutes, NoBudgetIsEverExceeded) {
  for (const char* m : {"llm-a", "big", "llm-b", "stt", "llm-c", "big", "stt"}) {
    ASSERT_EQ(Chat(*harvis_, m)->status, std::string(m) == "stt" ? 400 : 200) << m;
    const json resources = GetJson(*harvis_, "/api/resources");
    for (const auto& d : resources["devices"]) {
      EXPECT_LE(d["reserved_bytes"].get<uint64_t>(), d["budget_bytes"].get<uint64_t>()) << m;
    }
  }
}

TEST_F(SchedulerRoutes, AFullQueueAnswers503WithRetryAfter) {
  // `slow` fills the GPU and is leased for 2 s: `big` must wait (the queue holds one),
  // and `llm-a` finds the queue full.
  auto slow = std::async(std::launch::async, [&] { return Chat(*harvis_, "slow"); });
  ASSERT_TRUE(Eventually([&] { return Resident(*harvis_)["slow"]["leases"] == 1; }));
  auto waiting = std::async(std::launch::async, [&] { return Chat(*harvis_, "big"); });
  ASSERT_TRUE(Eventually([&] {
    auto m = harvis_->Client().Get("/metrics");
    return m && m->body.find("harvis_queue_depth{priority=\"normal\"} 1") != std::string::npos;
  }));
  auto refused = Chat(*harvis_, "llm-a");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  EXPECT_EQ(slow.get()->status, 200);
  EXPECT_EQ(waiting.get()->status, 200);  // served once `slow` was released and evicted
}

TEST_F(SchedulerRoutes, AFailingLoadIsFailedWithBackoff) {
  auto first = Chat(*harvis_, "broken");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503) << first->body;
  json m = Model(*harvis_, "broken");
  EXPECT_EQ(m["state"], "failed");
  EXPECT_TRUE(m["last_error"].is_string());
  EXPECT_GE(m["retry_after_seconds"].get<int>(), 1);
  auto again = Chat(*harvis_, "broken");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 503);
  EXPECT_FALSE(again->get_header_value("Retry-After").empty());
  auto metrics = harvis_->Client().Get("/metrics");
  EXPECT_NE(metrics->body.find("harvis_model_loads_total{model=\"broken\",result=\"failure\"} 1"), std::string::npos);
}

TEST_F(SchedulerRoutes, UnloadIsRefusedWhileLeasedUnlessForced) {
  auto slow = std::async(std::launch::async, [&] { return Chat(*harvis_, "slow"); });
  ASSERT_TRUE(Eventually([&] { return Resident(*harvis_)["slow"]["leases"] == 1; }));
  auto refused = harvis_->Client().Post("/api/models/slow/unload", "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409) << refused->body;
  auto forced = harvis_->Client().Post("/api/models/slow/unload", R"({"force": true})", "application/json");
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->status, 200) << forced->body;
  EXPECT_EQ(json::parse(forced->body)["state"], "unloaded");
  EXPECT_EQ(slow.get()->status, 200);  // the leased request finished first
}

TEST_F(SchedulerRoutes, LoadAndUnloadRoutes) {
  auto c = harvis_->Client();
  auto loaded = c.Post("/api/models/llm-a/load", R"({"keep_alive": -1})", "application/json");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->status, 200) << loaded->body;
  EXPECT_EQ(json::parse(loaded->body)["state"], "ready");
  EXPECT_EQ(json::parse(loaded->body)["keep_alive"], "forever");
  EXPECT_EQ(c.Post("/api/models/nope/load", "", "application/json")->status, 404);
  EXPECT_EQ(c.Post("/api/models/llm-a/load", "{bad", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/api/models/llm-a/load", R"({"keep_alive": "soon"})", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/api/models/llm-a/unload", R"({"force": "yes"})", "application/json")->status, 400);
  auto unloaded = c.Post("/api/models/llm-a/unload", "", "application/json");
  ASSERT_EQ(unloaded->status, 200) << unloaded->body;
  EXPECT_TRUE(Resident(*harvis_).empty());
}

TEST_F(SchedulerRoutes, WrongKindAndUnknownModels) {
  auto unknown = Chat(*harvis_, "gpt-9");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"]["code"], "model_not_found");
  EXPECT_EQ(Chat(*harvis_, "stt")->status, 400);
}

TEST_F(SchedulerRoutes, ResourcesReportTheLedger) {
  ASSERT_EQ(Chat(*harvis_, "llm-a")->status, 200);
  json r = GetJson(*harvis_, "/api/resources");
  ASSERT_TRUE(r["devices"].is_array());
  bool found = false;
  for (const auto& d : r["devices"]) {
    if (d["id"] != "gpu0") continue;
    found = true;
    EXPECT_EQ(d["budget_bytes"], 10ull << 30);
    EXPECT_EQ(d["reserved_bytes"], 4ull << 30);
    EXPECT_EQ(d["models"], json::array({"llm-a"}));
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(r["ram"]["limit_bytes"].is_number());
  EXPECT_TRUE(r["cpu"]["allocated_cores"].is_number());
  EXPECT_TRUE(r["alerts"].is_object());
}

TEST(SchedulerStartup, AModelThatCanNeverFitStopsStartup) {
  HarvisProcess harvis({.config_yaml = R"(
devices: [ { id: gpu0, kind: gpu, memory: 8GiB, simulated: true } ]
models:
  - { name: huge, kind: llm, engine: simulated, memory: 40GiB, device: gpu0 }
)"});
  EXPECT_FALSE(harvis.running());
  EXPECT_NE(harvis.Log().find("huge"), std::string::npos) << harvis.Log();
}

TEST(SchedulerStartup, APreloadFailureIsReportedAndTheServerStillStarts) {
  HarvisProcess harvis({.config_yaml = R"(
devices: [ { id: gpu0, kind: gpu, memory: 8GiB, simulated: true } ]
models:
  - { name: good, kind: llm, engine: simulated, memory: 1GiB, preload: true, priority: realtime }
  - { name: bad, kind: llm, engine: simulated, memory: 1GiB, preload: true, options: { fail_load: true } }
)"});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  ASSERT_TRUE(Eventually([&] { return harvis.Client().Get("/readyz")->status == 200; }));
  EXPECT_EQ(Resident(harvis).count("good"), 1u);
  EXPECT_EQ(Model(harvis, "bad")["state"], "failed");
  EXPECT_NE(harvis.Log().find("preload of bad failed"), std::string::npos);
}

}  // namespace
}  // namespace harvis::testing
