// Black-box tests of the process lifecycle: restarts, crashes, graceful shutdown.
#include <gtest/gtest.h>
#include <signal.h>

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

}  // namespace
}  // namespace harvis::testing
