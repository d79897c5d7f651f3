// Micro-benchmarks of the residency scheduler (issue 3):
//   BM_AcquireResidentLease   acquiring and releasing a lease on a READY model, 1 and 8
//                             threads (target: median under 2 us)
//   BM_AdmissionDecision      a dry-run admission (Scheduler::Plan) that must choose
//                             victims among 1,000 registered models, 999 of them resident
//                             and idle: many_victims needs ~340 of them evicted (the worst
//                             case), few_victims ~5 (target: under 50 us)
// Run: build/<dir>/bench/scheduler_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <random>

#include "engines/engine.h"
#include "scheduler/scheduler.h"

namespace harvis {
namespace {

struct World {
  EngineRegistry engines = DefaultEngineRegistry();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<Scheduler> scheduler;
};

ModelConfig Sim(const std::string& name, std::uint64_t bytes) {
  ModelConfig m;
  m.name = name;
  m.engine = "simulated";
  m.memory = bytes;
  m.keep_alive = kForever;
  m.device = "gpu";
  m.parallel = 64;
  return m;
}

std::unique_ptr<World> MakeWorld(std::vector<ModelConfig> models, std::uint64_t gpu_budget) {
  spdlog::set_level(spdlog::level::err);
  auto w = std::make_unique<World>();
  SchedulerDeps deps;
  deps.engines = &w->engines;
  deps.clock = w->clock;
  std::vector<DeviceInfo> devices{{"gpu0", DeviceKind::kGpu, gpu_budget, gpu_budget, true, -1},
                                  {"cpu", DeviceKind::kCpu, 16 * kGiB, 16 * kGiB, false, -1}};
  auto s = Scheduler::Create(std::move(models), std::move(devices), SchedulerOptions{}, deps);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    std::abort();
  }
  w->scheduler = std::move(s).value();
  return w;
}

World& LeaseWorld() {
  static std::unique_ptr<World> world = [] {
    auto w = MakeWorld({Sim("llm", 4 * kGiB)}, 24 * kGiB);
    if (!w->scheduler->Load("llm").ok()) std::abort();
    return w;
  }();
  return *world;
}

void BM_AcquireResidentLease(benchmark::State& state) {
  Scheduler& s = *LeaseWorld().scheduler;
  for (auto _ : state) {
    auto lease = s.Acquire("llm");
    benchmark::DoNotOptimize(lease.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AcquireResidentLease)->Threads(1)->Threads(8)->UseRealTime();

World& AdmissionWorld() {
  static std::unique_ptr<World> world = [] {
    constexpr int kResident = 999;
    std::vector<ModelConfig> models;
    for (int i = 0; i < kResident; ++i) models.push_back(Sim("m" + std::to_string(i), 24 * kMiB));
    models.push_back(Sim("incoming", 8 * kGiB));       // must evict ~340 models
    models.push_back(Sim("incoming-small", 100 * kMiB));  // must evict ~5 models
    auto w = MakeWorld(std::move(models), kResident * 24 * kMiB);
    // Fill the GPU and give every model its own request history.
    std::mt19937 rng(7);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < kResident; ++i) {
        if (round > 0 && rng() % 3 != 0) continue;
        if (!w->scheduler->Acquire("m" + std::to_string(i)).ok()) std::abort();
        w->clock->Advance(Duration(1 + rng() % 500));
      }
    }
    return w;
  }();
  return *world;
}

void BM_AdmissionDecision(benchmark::State& state, const char* incoming) {
  Scheduler& s = *AdmissionWorld().scheduler;
  size_t victims = 0;
  for (auto _ : state) {
    auto plan = s.Plan(incoming);
    if (!plan.ok() || !plan->fits) {
      state.SkipWithError("no plan");
      break;
    }
    victims = plan->victims.size();
  }
  state.counters["victims"] = static_cast<double>(victims);
  state.counters["registered"] = 1001;
}
BENCHMARK_CAPTURE(BM_AdmissionDecision, many_victims, "incoming")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AdmissionDecision, few_victims, "incoming-small")
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace harvis

BENCHMARK_MAIN();
