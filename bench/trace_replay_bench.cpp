// Trace replay (issues 3 and 10): a seeded request trace replayed with each residency
// policy on one simulated 24 GiB GPU, printing per policy: requests, errors, loads, GiB
// loaded, total load-wait seconds, p50/p95 latency and budget violations (must be 0).
//
// Two traces (bench/trace/trace_workload.h, reasoning in bench/README.md):
//   replay  hours of one household's voice and chat sessions (default 2 h).
//   burst   40 s of steady traffic with 16 concurrent requests in the middle.
// Time runs `scale` times faster than real time (ScaledClock); latencies are printed in
// virtual seconds. Load-wait is the time a request spends obtaining its leases (loading
// models, waiting for room); the rest of its latency is compute (inference and waiting
// for a compute share).
//
// Run: build/<dir>/bench/trace_replay_bench [replay [scale] [hours] | burst [scale]]
//      (defaults: replay 200 2, about 2.5 min; burst 4, about 1 min)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "engines/engine.h"
#include "scheduler/scheduler.h"
#include "trace/trace_workload.h"

namespace harvis {
namespace {

using bench::Request;
using bench::TraceModels;

struct Outcome {
  std::string policy;
  size_t requests = 0;
  std::atomic<long> errors{0};
  std::atomic<long> loads{0};
  std::atomic<std::uint64_t> bytes_loaded{0};
  std::atomic<long> violations{0};
  std::mutex mu;
  std::vector<double> latencies;
  double load_wait_s = 0;  // guarded by mu
};

std::string Ms(double virtual_seconds, double scale) {
  return std::to_string(std::max<long>(0, std::lround(virtual_seconds * 1000 / scale))) + "ms";
}

// The trace's own future, for the clairvoyant reference: virtual seconds count from
// `epoch`, the clock reading when the replay starts.
class Forecast final : public UsageForecast {
 public:
  Forecast(const std::vector<Request>& trace, Clock::TimePoint epoch) : trace_(trace), epoch_(epoch) {}
  double SecondsToNextUse(const std::string& model, Clock::TimePoint now) const override {
    return trace_.SecondsToNextUse(model, SecondsBetween(epoch_, now));
  }

 private:
  const bench::TraceForecast trace_;
  const Clock::TimePoint epoch_;
};

std::unique_ptr<Scheduler> Build(const std::string& policy, double scale, double cpu_cores,
                                 const EngineRegistry& engines, std::shared_ptr<const Clock> clock,
                                 std::shared_ptr<const UsageForecast> forecast) {
  std::vector<ModelConfig> models;
  for (const bench::ModelSpec& spec : TraceModels()) {
    ModelConfig m;
    m.name = spec.name;
    m.kind = spec.kind;
    m.engine = "simulated";
    m.device = "gpu";
    m.memory = static_cast<std::uint64_t>(spec.gib * static_cast<double>(kGiB));
    m.keep_alive = std::chrono::minutes(5);  // Ollama's default
    m.parallel = 4;
    m.options = {{"load_time", Ms(spec.load_s, scale)}, {"infer_time", Ms(spec.infer_s, scale)}};
    models.push_back(m);
  }
  SchedulerOptions o;
  o.policy = policy;
  o.queue_timeout = std::chrono::milliseconds(static_cast<long>(120'000 / scale));
  o.maintenance_interval = std::chrono::milliseconds(5);
  o.ram_tier_capacity = 25 * kGiB;  // the host's RAM budget, as a server sizes it
  o.cpu_cores = cpu_cores;
  SchedulerDeps deps;
  deps.engines = &engines;
  deps.clock = std::move(clock);
  deps.forecast = std::move(forecast);
  std::vector<DeviceInfo> devices{{"gpu0", DeviceKind::kGpu, 24 * kGiB, 24 * kGiB, true, -1},
                                  {"cpu", DeviceKind::kCpu, 32 * kGiB, 25 * kGiB, false, -1}};
  auto s = Scheduler::Create(models, devices, o, deps);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

void Serve(Scheduler& s, const Clock& clock, const Request& r, Outcome& out) {
  const auto start = clock.Now();
  double waited = 0;  // in Acquire / Stage
  auto timed = [&](auto&& fn) {
    const auto t0 = clock.Now();
    auto result = fn();
    waited += SecondsBetween(t0, clock.Now());
    return result;
  };
  bool ok = true;
  if (r.models.size() == 1) {
    auto lease = timed([&] { return s.Acquire(r.models[0]); });
    ok = lease.ok() && lease->Chat({{"user", "tell me something"}}, {}, nullptr, nullptr).ok();
  } else {
    Turn turn = s.BeginTurn(r.models);
    for (size_t i = 0; i < r.models.size() && ok; ++i) {
      auto stage = timed([&] { return turn.Stage(i); });
      if (!stage.ok()) {
        ok = false;
        break;
      }
      const Lease& lease = **stage;
      if (i == 0) ok = lease.Transcribe(std::vector<float>(16000)).ok();
      if (i == 1) ok = lease.Chat({{"user", "hello"}}, {}, nullptr, nullptr).ok();
      if (i == 2) ok = lease.Synthesize("hello there").ok();
    }
  }
  const double seconds = SecondsBetween(start, clock.Now());
  if (!s.CheckInvariants().ok()) ++out.violations;
  if (!r.measured) return;
  if (!ok) ++out.errors;
  std::lock_guard lock(out.mu);
  out.latencies.push_back(seconds);
  out.load_wait_s += waited;
}

void Replay(const std::vector<Request>& workload, double scale, double cpu_cores, Outcome& out) {
  EngineRegistry engines = DefaultEngineRegistry();
  auto clock = std::make_shared<ScaledClock>(scale);
  const Clock::TimePoint epoch = clock->Now();
  auto forecast = std::make_shared<Forecast>(workload, epoch);
  auto s = Build(out.policy, scale, cpu_cores, engines, clock, forecast);
  const double measured_from =  // loads of the warm-up are not counted
      std::find_if(workload.begin(), workload.end(), [](const Request& r) { return r.measured; })->at_s;
  s->SetEventListener([&](const SchedulerEvent& e) {
    if (e.kind == SchedulerEvent::Kind::kReady && SecondsBetween(epoch, clock->Now()) >= measured_from) {
      ++out.loads;
      out.bytes_loaded += static_cast<std::uint64_t>(bench::SpecOf(e.model).gib * kGiB);
    }
  });
  s->Start();
  std::atomic<bool> done{false};
  std::thread sampler([&] {  // budgets checked continuously, not only after requests
    while (!done) {
      if (!s->CheckInvariants().ok()) ++out.violations;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const auto real_start = std::chrono::steady_clock::now();
  std::vector<std::thread> inflight;
  for (const Request& r : workload) {
    std::this_thread::sleep_until(real_start + std::chrono::microseconds(
                                                   static_cast<long>(r.at_s * 1e6 / scale)));
    inflight.emplace_back([&, r] { Serve(*s, *clock, r, out); });
  }
  for (auto& t : inflight) t.join();
  done = true;
  sampler.join();
  s->Stop();
  out.requests = std::count_if(workload.begin(), workload.end(), [](const Request& r) { return r.measured; });
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(v.size() - 1, std::floor(p * (v.size() - 1) + 0.5)))];
}

}  // namespace
}  // namespace harvis

int main(int argc, char** argv) {
  using namespace harvis;
  spdlog::set_level(spdlog::level::err);
  int arg = 1;
  const bool burst = argc > 1 && std::strcmp(argv[1], "burst") == 0;
  if (argc > 1 && (burst || std::strcmp(argv[1], "replay") == 0)) ++arg;
  const double scale = argc > arg ? std::atof(argv[arg]) : (burst ? 4.0 : 200.0);
  const double hours = !burst && argc > arg + 1 ? std::atof(argv[arg + 1]) : 2.0;
  if (!(scale > 0) || !(hours > 0)) {
    std::fprintf(stderr, "usage: trace_replay_bench [replay [scale] [hours] | burst [scale]]\n");
    return 2;
  }
  const auto workload = burst ? bench::GenerateBurst(7) : bench::GenerateReplay(42, hours);
  // The replay models the reference pod (12 cores x 0.8); the burst this machine.
  const double cpu_cores = burst ? 0.8 * std::max(1u, std::thread::hardware_concurrency()) : 9.6;
  std::vector<double> service;
  size_t voice = 0;
  double first = -1;
  std::map<std::string, size_t> per_llm;
  for (const Request& r : workload) {
    if (!r.measured) continue;
    if (first < 0) first = r.at_s;
    voice += r.models.size() == 3;
    ++per_llm[r.models.size() == 3 ? r.models[1] : r.models[0]];
    service.push_back(r.ServiceSeconds());
  }
  std::printf("trace %s: %zu requests (%zu voice turns, %zu chats) over %.0f s (virtual), 24 GiB "
              "simulated GPU, %.1f CPU cores, time x%.0f\nLLM share:",
              burst ? "burst" : "replay", service.size(), voice, service.size() - voice,
              workload.back().at_s - first, cpu_cores, scale);
  for (const auto& [llm, n] : per_llm) std::printf(" %s %zu", llm.c_str(), n);
  std::printf("\npure service time: p50 %.2f s, p95 %.2f s\n", Percentile(service, 0.5),
              Percentile(service, 0.95));
  std::printf("%-17s %8s %6s %6s %10s %11s %8s %8s %10s\n", "policy", "requests", "errors", "loads",
              "GiB loaded", "load-wait s", "p50 s", "p95 s", "violations");
  std::vector<std::string> policies = EvictionPolicyNames();
  policies.push_back("clairvoyant");  // the reference: knows the trace's future
  std::map<std::string, double> wait, p50, p95;
  for (const std::string& policy : policies) {
    Outcome out;
    out.policy = policy;
    Replay(workload, scale, cpu_cores, out);
    wait[policy] = out.load_wait_s;
    p50[policy] = Percentile(out.latencies, 0.50);
    p95[policy] = Percentile(out.latencies, 0.95);
    std::printf("%-17s %8zu %6ld %6ld %10.1f %11.1f %8.2f %8.2f %10ld\n", policy.c_str(),
                out.requests, out.errors.load(), out.loads.load(),
                static_cast<double>(out.bytes_loaded.load()) / static_cast<double>(kGiB),
                out.load_wait_s, p50[policy], p95[policy], out.violations.load());
    std::fflush(stdout);
  }
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  std::printf("cost: load-wait %.2fx clairvoyant, p95 %.2fx clairvoyant, p95 %.2fx keepalive, "
              "p95 %.2fx unload-after-use, p50 %.2fx pure service\n",
              ratio(wait["cost"], wait["clairvoyant"]), ratio(p95["cost"], p95["clairvoyant"]),
              ratio(p95["cost"], p95["keepalive"]), ratio(p95["cost"], p95["unload-after-use"]),
              ratio(p50["cost"], Percentile(service, 0.5)));
  return 0;
}
