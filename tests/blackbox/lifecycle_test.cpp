// Black-box tests of the process lifecycle: restarts, crashes, graceful shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <regex>
#include <thread>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

// Reads an unlabelled metric's value from /metrics.
double MetricValue(const HarvisProcess& harvis, const std::string& name) {
  auto res = harvis.Client().Get("/metrics");
  if (!res) return -1;
  std::smatch m;
  std::regex re("\n" + name + " ([0-9.e+-]+)");
  std::string text = "\n" + res->body;
  return std::regex_search(text, m, re) ? std::stod(m[1]) : -1;
}

TEST(Lifecycle, RestartCounterCountsEveryStartAfterTheFirst) {
  auto state = MakeTempDir("harvis-state");
  {
    HarvisProcess first({.state_dir = state});
    ASSERT_TRUE(first.running()) << first.Log();
    EXPECT_EQ(MetricValue(first, "harvis_restarts_total"), 0);
    EXPECT_EQ(first.SignalAndWait(SIGTERM), 0) << first.Log();
  }
  {
    HarvisProcess second({.state_dir = state});
    ASSERT_TRUE(second.running()) << second.Log();
    EXPECT_EQ(MetricValue(second, "harvis_restarts_total"), 1);
    EXPECT_EQ(MetricValue(second, "harvis_unclean_shutdowns_total"), 0);
    second.Signal(SIGKILL);  // a crash: no clean-shutdown record
    second.SignalAndWait(SIGKILL);
  }
  {
    HarvisProcess third({.state_dir = state});
    ASSERT_TRUE(third.running()) << third.Log();
    EXPECT_EQ(MetricValue(third, "harvis_restarts_total"), 2);
    EXPECT_EQ(MetricValue(third, "harvis_unclean_shutdowns_total"), 1);
    EXPECT_NE(third.Log().find("unclean"), std::string::npos) << third.Log();
  }
  std::filesystem::remove_all(state);
}

TEST(Lifecycle, SigintExitsZero) {
  HarvisProcess harvis;
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  EXPECT_EQ(harvis.SignalAndWait(SIGINT), 0) << harvis.Log();
}

// A request whose body is still arriving when SIGTERM comes must be answered before the
// process exits; meanwhile /readyz says 503 and new work is refused.
TEST(Lifecycle, SigtermDrainsASlowInFlightRequest) {
  HarvisProcess harvis({.config_yaml = R"(
server: { drain_timeout: 20s }
models: [ { name: m, kind: llm, engine: simulated, memory: 1GiB, options: { infer_time: 1s } } ]
)"});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hello"}]})";
  std::optional<httplib::Response> slow;
  std::thread client([&] {
    auto c = harvis.Client();
    size_t offset = 0;
    auto res = c.Post(
        "/v1/chat/completions", body.size(),
        [&](size_t, size_t, httplib::DataSink& sink) {
          // Half now, the rest once the server is draining.
          if (offset == 0) {
            offset = body.size() / 2;
            return sink.write(body.data(), offset);
          }
          for (int i = 0; i < 500; ++i) {
            auto ready = harvis.Client().Get("/readyz");
            if (!ready || ready->status == 503) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          sink.write(body.data() + offset, body.size() - offset);
          offset = body.size();
          return true;
        },
        "application/json");
    if (res) slow = *res;
  });
  // Wait until the server has seen the slow request's first bytes, then ask it to stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  harvis.Signal(SIGTERM);
  for (int i = 0; i < 500; ++i) {  // until the server has begun draining
    auto ready = harvis.Client().Get("/readyz");
    if (!ready || ready->status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto refused = harvis.Client().Get("/v1/models");
  client.join();
  ASSERT_TRUE(slow) << "the in-flight request got no answer";
  EXPECT_EQ(slow->status, 200) << slow->body;  // answered in full, not cut off
  EXPECT_NE(slow->body.find("simulated answer"), std::string::npos) << slow->body;
  if (refused) EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(harvis.SignalAndWait(0, 30), 0) << harvis.Log();
}

}  // namespace
}  // namespace harvis::testing
