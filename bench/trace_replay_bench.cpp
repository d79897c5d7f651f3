// Trace replay (issue 3): a generated voice-assistant workload replayed with each
// residency policy on one simulated 24 GiB GPU, printing per policy: requests, errors,
// loads, GiB loaded, p50/p95 latency and budget violations (must be 0).
//
// The workload (seeded, deterministic; see bench/README.md for the reasoning): two hours
// of two independent session streams, voice (turns STT -> LLM -> TTS) and chat-only.
// A session has 1 + geometric (mean 5) turns separated by lognormal think-times and uses
// one LLM drawn by Zipf popularity (s = 1.5) with the default 3B model first; sessions
// are separated by idle gaps, a quarter of them 5-20 minutes (past the 5 m keep-alive).
// Model sizes and disk load times follow the reference deployment (whisper, piper-class
// voices, 3B-14B LLMs); loads from the RAM tier take a fifth of them (simulated engine
// default ram_load_time).
// Time runs `kScale` times faster than real time (ScaledClock): latencies are printed
// in virtual seconds.
//
// Run: build/<dir>/bench/trace_replay_bench [scale] [hours]
//      (defaults 200 and 2: ~36 s per policy)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
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

// The default LLM first: popularity rank r (1-based) has Zipf weight 1 / r^kZipfS.
const char* const kLlmsByPopularity[] = {"llama3.2:3b", "llama3.1:8b", "mistral-nemo:12b",
                                         "qwen2.5:14b"};
constexpr double kZipfS = 1.5;  // -> 61% / 21% / 12% / 8% of sessions

// One stream of sessions (a user at the speaker, or at the chat UI): sessions of several
// turns with short think-times, separated by idle gaps; each session sticks to one LLM.
void GenerateSessions(std::mt19937& rng, double end, bool voice, std::vector<Request>& out) {
  auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  // Lognormal with the given median; `sigma` is the log-space spread.
  auto lognormal = [&](double median, double sigma) {
    return std::lognormal_distribution<double>(std::log(median), sigma)(rng);
  };
  std::vector<double> zipf;
  for (int r = 1; r <= 4; ++r) zipf.push_back(1.0 / std::pow(r, kZipfS));
  std::discrete_distribution<int> pick_llm(zipf.begin(), zipf.end());
  for (double t = uniform(0, 120); t < end;) {
    const std::string llm = kLlmsByPopularity[pick_llm(rng)];
    const std::string stt = uniform(0, 1) < 0.85 ? "whisper-base" : "whisper-large";
    const std::string tts = uniform(0, 1) < 0.7 ? "voice-amy" : "voice-ryan";
    // Turns per session: 1 + geometric, mean 5, at most 20.
    const int turns = 1 + std::min(19, std::geometric_distribution<int>(0.25)(rng));
    for (int i = 0; i < turns && t < end; ++i) {
      if (voice) {
        out.push_back({t, {stt, llm, tts}});
      } else {
        out.push_back({t, {llm}});
      }
      // Think-time (after the answer): median 12 s spoken, 25 s typed; at most 2 min.
      t += std::min(120.0, lognormal(voice ? 12.0 : 25.0, 0.6));
    }
    // Idle gap: 75% short (median 1 min, at most 5 min), 25% long (5-20 min: beyond
    // the 5 m keep-alive).
    t += uniform(0, 1) < 0.75 ? std::min(300.0, lognormal(60.0, 0.8)) : uniform(300, 1200);
  }
}

std::vector<Request> GenerateWorkload(unsigned seed, double hours) {
  std::mt19937 rng(seed);
  std::vector<Request> out;
  const double end = hours * 3600;
  GenerateSessions(rng, end, /*voice=*/true, out);
  GenerateSessions(rng, end, /*voice=*/false, out);
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
  const double hours = argc > 2 ? std::atof(argv[2]) : 2.0;
  if (!(scale > 0) || !(hours > 0)) {
    std::fprintf(stderr, "usage: trace_replay_bench [scale] [hours]\n");
    return 2;
  }
  const auto workload = GenerateWorkload(42, hours);
  size_t voice = 0;
  std::map<std::string, size_t> per_llm;
  for (const Request& r : workload) {
    voice += r.models.size() == 3;
    ++per_llm[r.models.size() == 3 ? r.models[1] : r.models[0]];
  }
  std::printf("trace: %zu requests (%zu voice turns, %zu chats) over %.1f h (virtual), 24 "
              "GiB simulated GPU, time x%.0f\nLLM share:",
              workload.size(), voice, workload.size() - voice, hours, scale);
  for (const char* llm : kLlmsByPopularity) std::printf(" %s %zu", llm, per_llm[llm]);
  std::printf("\n");
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
