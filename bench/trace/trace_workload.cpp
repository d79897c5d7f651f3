#include "trace/trace_workload.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace harvis::bench {
namespace {

// The default LLM first: popularity rank r (1-based) has Zipf weight 1 / r^kZipfS.
const char* const kLlmsByPopularity[] = {"llama3.2:3b", "llama3.1:8b", "mistral-nemo:12b",
                                         "qwen2.5:14b"};
constexpr double kZipfS = 1.5;  // -> 61% / 21% / 12% / 8%

std::discrete_distribution<int> ZipfLlm() {
  std::vector<double> weights;
  for (int r = 1; r <= 4; ++r) weights.push_back(1.0 / std::pow(r, kZipfS));
  return std::discrete_distribution<int>(weights.begin(), weights.end());
}

double Uniform(std::mt19937& rng, double a, double b) {
  return std::uniform_real_distribution<double>(a, b)(rng);
}

// One stream of sessions (a user at the speaker, or at the chat UI): sessions of several
// turns with short think-times, separated by idle gaps; each session sticks to one LLM.
void GenerateSessions(std::mt19937& rng, double end, bool voice, std::vector<Request>& out) {
  auto lognormal = [&](double median, double sigma) {
    return std::lognormal_distribution<double>(std::log(median), sigma)(rng);
  };
  auto pick_llm = ZipfLlm();
  for (double t = Uniform(rng, 0, 120); t < end;) {
    const std::string llm = kLlmsByPopularity[pick_llm(rng)];
    const std::string stt = Uniform(rng, 0, 1) < 0.85 ? "whisper-base" : "whisper-large";
    const std::string tts = Uniform(rng, 0, 1) < 0.7 ? "voice-amy" : "voice-ryan";
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
    t += Uniform(rng, 0, 1) < 0.75 ? std::min(300.0, lognormal(60.0, 0.8)) : Uniform(rng, 300, 1200);
  }
}

// A request with models drawn independently (no sessions): a voice turn or a chat.
Request RandomRequest(std::mt19937& rng, double at_s, bool voice) {
  auto pick_llm = ZipfLlm();
  const std::string llm = kLlmsByPopularity[pick_llm(rng)];
  if (!voice) return {at_s, {llm}};
  const std::string stt = Uniform(rng, 0, 1) < 0.85 ? "whisper-base" : "whisper-large";
  const std::string tts = Uniform(rng, 0, 1) < 0.7 ? "voice-amy" : "voice-ryan";
  return {at_s, {stt, llm, tts}};
}

void SortByTime(std::vector<Request>& v) {
  std::sort(v.begin(), v.end(), [](const Request& a, const Request& b) { return a.at_s < b.at_s; });
}

}  // namespace

const std::vector<ModelSpec>& TraceModels() {
  static const std::vector<ModelSpec> kModels = {
      {"whisper-base", ModelKind::kStt, 0.6, 0.8, 0.3},
      {"whisper-large", ModelKind::kStt, 3.5, 4.0, 0.8},
      {"voice-amy", ModelKind::kTts, 0.3, 0.4, 0.4},
      {"voice-ryan", ModelKind::kTts, 0.3, 0.4, 0.4},
      {"llama3.2:3b", ModelKind::kLlm, 3.5, 4.0, 1.5},
      {"llama3.1:8b", ModelKind::kLlm, 6.5, 8.0, 2.5},
      {"mistral-nemo:12b", ModelKind::kLlm, 8.5, 10.0, 3.0},
      {"qwen2.5:14b", ModelKind::kLlm, 10.5, 13.0, 3.5},
  };
  return kModels;
}

const ModelSpec& SpecOf(const std::string& model) {
  for (const ModelSpec& s : TraceModels()) {
    if (model == s.name) return s;
  }
  throw std::out_of_range("no trace model " + model);
}

double Request::ServiceSeconds() const {
  double total = 0;
  for (const std::string& m : models) total += SpecOf(m).infer_s;
  return total;
}

std::vector<Request> GenerateReplay(unsigned seed, double hours) {
  std::mt19937 rng(seed);
  std::vector<Request> out;
  const double end = hours * 3600;
  GenerateSessions(rng, end, /*voice=*/true, out);
  GenerateSessions(rng, end, /*voice=*/false, out);
  SortByTime(out);
  return out;
}

std::vector<Request> GenerateBurst(unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Request> out;
  // Warm-up: each model once, one request at a time (every 7.5 s), the default LLM last.
  const std::vector<std::vector<std::string>> warmup = {
      {"whisper-large", "qwen2.5:14b", "voice-ryan"}, {"mistral-nemo:12b"}, {"llama3.1:8b"},
      {"whisper-base", "llama3.2:3b", "voice-amy"}};
  double t = 0;
  for (const auto& models : warmup) {
    out.push_back({t, models, /*measured=*/false});
    t += 15;
  }
  // Then 40 s of steady traffic: a voice turn every 2.5-4.5 s, a chat every 3-6 s.
  const double start = t;
  for (t = start + Uniform(rng, 0, 2); t < start + 40; t += Uniform(rng, 2.5, 4.5)) {
    out.push_back(RandomRequest(rng, t, /*voice=*/true));
  }
  for (t = start + Uniform(rng, 0, 3); t < start + 40; t += Uniform(rng, 3, 6)) {
    out.push_back(RandomRequest(rng, t, /*voice=*/false));
  }
  // The burst: 16 requests (10 voice turns, 6 chats) within 1.5 s, 20 s in.
  for (int i = 0; i < 16; ++i) {
    out.push_back(RandomRequest(rng, start + 20 + Uniform(rng, 0, 1.5), i < 10));
  }
  SortByTime(out);
  return out;
}

TraceForecast::TraceForecast(const std::vector<Request>& trace) {
  for (const Request& r : trace) {
    double at = r.at_s;
    for (const std::string& m : r.models) {
      uses_[m].push_back(at);
      at += SpecOf(m).infer_s;
    }
  }
  for (auto& [model, uses] : uses_) std::sort(uses.begin(), uses.end());
}

double TraceForecast::SecondsToNextUse(const std::string& model, double now_s) const {
  auto it = uses_.find(model);
  if (it == uses_.end()) return std::numeric_limits<double>::infinity();
  auto next = std::lower_bound(it->second.begin(), it->second.end(), now_s);
  if (next == it->second.end()) return std::numeric_limits<double>::infinity();
  return *next - now_s;
}

}  // namespace harvis::bench
