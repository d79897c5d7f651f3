// Trace replay (issue 3): a generated voice-assistant workload replayed with each
// residency policy on one simulated 24 GiB GPU, printing per policy: requests, errors,
// loads, GiB loaded, p50/p95 latency and budget violations (must be 0).
//
// The workload (seeded, deterministic): two hours of voice sessions (turns STT -> LLM ->
// TTS every 10-40 s for 2-10 minutes) separated by idle gaps of 1-10 minutes, plus
// chat-only requests over several LLMs arriving in bursts. Model sizes and load times
// follow the reference deployment (whisper, piper-class voices, 3B-14B LLMs).
// Time runs `kScale` times faster than real time (ScaledClock): latencies are printed
// in virtual seconds.
//
// Run: build/<dir>/bench/trace_replay_bench [scale]   (default 200: ~36 s per policy)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "engines/engine.h"
#include "scheduler/scheduler.h"

namespace harvis {
namespace {

struct ModelSpec {
  const char* name;
  ModelKind kind;
  double gib;
  double load_s;   // from disk
  double infer_s;  // one call
};

const ModelSpec kModels[] = {
    {"whisper-base", ModelKind::kStt, 0.6, 0.8, 0.3},
    {"whisper-large", ModelKind::kStt, 3.5, 4.0, 0.8},
    {"voice-amy", ModelKind::kTts, 0.3, 0.4, 0.4},
    {"voice-ryan", ModelKind::kTts, 0.3, 0.4, 0.4},
    {"llama3.2:3b", ModelKind::kLlm, 3.5, 4.0, 1.5},
    {"llama3.1:8b", ModelKind::kLlm, 6.5, 8.0, 2.5},
    {"mistral-nemo:12b", ModelKind::kLlm, 8.5, 10.0, 3.0},
    {"qwen2.5:14b", ModelKind::kLlm, 10.5, 13.0, 3.5},
};

struct Request {
  double at_s;                       // virtual seconds from the start
  std::vector<std::string> models;   // 1 (chat) or 3 (voice turn)
};

std::vector<Request> GenerateWorkload(unsigned seed, double hours) {
  std::mt19937 rng(seed);
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  std::vector<Request> out;
  const double end = hours * 3600;
  // Voice sessions with idle gaps.
  for (double t = uniform(0, 60); t < end;) {
    const double session_end = t + uniform(120, 600);
    const std::string llm = uniform(0, 1) < 0.75 ? "llama3.2:3b" : "llama3.1:8b";
    const std::string stt = uniform(0, 1) < 0.85 ? "whisper-base" : "whisper-large";
    const std::string voice = uniform(0, 1) < 0.7 ? "voice-amy" : "voice-ryan";
    for (; t < session_end; t += uniform(10, 40)) out.push_back({t, {stt, llm, voice}});
    t += uniform(60, 600);
  }
  // Chat-only bursts over the bigger LLMs.
  const char* chat_llms[] = {"llama3.1:8b", "mistral-nemo:12b", "qwen2.5:14b", "llama3.2:3b"};
  for (double t = uniform(0, 120); t < end; t += uniform(30, 150)) {
    const std::string llm = chat_llms[rng() % 4];
    const int burst = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < burst; ++i) out.push_back({t + i * uniform(2, 15), {llm}});
  }
  std::sort(out.begin(), out.end(), [](const Request& a, const Request& b) { return a.at_s < b.at_s; });
  return out;
}

struct Outcome {
  std::string policy;
  size_t requests = 0;
  std::atomic<long> errors{0};
  std::atomic<long> loads{0};
  std::atomic<std::uint64_t> bytes_loaded{0};
  std::atomic<long> violations{0};
  std::mutex mu;
  std::vector<double> latencies;
};

std::string Ms(double virtual_seconds, double scale) {
  return std::to_string(std::max<long>(0, std::lround(virtual_seconds * 1000 / scale))) + "ms";
}

std::unique_ptr<Scheduler> Build(const std::string& policy, double scale, const EngineRegistry& engines,
                                 std::shared_ptr<const Clock> clock) {
  std::vector<ModelConfig> models;
  for (const ModelSpec& spec : kModels) {
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
  o.ram_tier_capacity = 12 * kGiB;
  o.cpu_cores = 9.6;
  SchedulerDeps deps;
  deps.engines = &engines;
  deps.clock = std::move(clock);
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
  bool ok = true;
  if (r.models.size() == 1) {
    auto lease = s.Acquire(r.models[0]);
    ok = lease.ok() && lease->Chat({{"user", "tell me something"}}, {}, nullptr, nullptr).ok();
  } else {
    Turn turn = s.BeginTurn(r.models);
    for (size_t i = 0; i < r.models.size() && ok; ++i) {
      auto stage = turn.Stage(i);
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
  if (!ok) ++out.errors;
  std::lock_guard lock(out.mu);
  out.latencies.push_back(seconds);
}

void Replay(const std::vector<Request>& workload, double scale, Outcome& out) {
  EngineRegistry engines = DefaultEngineRegistry();
  auto clock = std::make_shared<ScaledClock>(scale);
  auto s = Build(out.policy, scale, engines, clock);
  s->SetEventListener([&](const SchedulerEvent& e) {
    if (e.kind == SchedulerEvent::Kind::kReady) {
      ++out.loads;
      for (const ModelSpec& spec : kModels) {
        if (e.model == spec.name) out.bytes_loaded += static_cast<std::uint64_t>(spec.gib * kGiB);
      }
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
  out.requests = workload.size();
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
  const double scale = argc > 1 ? std::atof(argv[1]) : 200.0;
  const auto workload = GenerateWorkload(42, 2.0);
  std::printf("trace: %zu requests over 2 h (virtual), 24 GiB simulated GPU, time x%.0f\n",
              workload.size(), scale);
  std::printf("%-17s %8s %6s %6s %10s %8s %8s %10s\n", "policy", "requests", "errors", "loads",
              "GiB loaded", "p50 s", "p95 s", "violations");
  for (const std::string& policy : EvictionPolicyNames()) {
    Outcome out;
    out.policy = policy;
    Replay(workload, scale, out);
    std::printf("%-17s %8zu %6ld %6ld %10.1f %8.2f %8.2f %10ld\n", policy.c_str(), out.requests,
                out.errors.load(), out.loads.load(),
                static_cast<double>(out.bytes_loaded.load()) / static_cast<double>(kGiB),
                Percentile(out.latencies, 0.50), Percentile(out.latencies, 0.95),
                out.violations.load());
    std::fflush(stdout);
  }
  return 0;
}
