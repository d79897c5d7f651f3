// Workloads of the trace replay (bench/trace_replay_bench.cpp): the simulated models of
// the reference deployment and two seeded, deterministic request traces over them.
//   replay: hours of one household's voice and chat sessions (bench/README.md).
//   burst:  40 s of steady traffic with a burst of concurrent requests in the middle,
//           after a minute of warm-up traffic (one request to each model, not measured)
//           so that it measures a running server, not a cold start.
// A trace also answers, for the clairvoyant reference, when each model is next needed.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace harvis::bench {

struct ModelSpec {
  const char* name;
  ModelKind kind;
  double gib;
  double load_s;   // from disk
  double infer_s;  // one call
};

// The eight simulated models (STT, TTS voices, 3B-14B LLMs).
const std::vector<ModelSpec>& TraceModels();
const ModelSpec& SpecOf(const std::string& model);

struct Request {
  double at_s = 0;                  // virtual seconds from the start
  std::vector<std::string> models;  // 1 (chat) or 3 (voice turn: STT, LLM, TTS)
  bool measured = true;             // false: warm-up traffic, not in the figures
  // Inference seconds of the request with no waiting at all (the sum over its stages).
  double ServiceSeconds() const;
};

std::vector<Request> GenerateReplay(unsigned seed, double hours);
std::vector<Request> GenerateBurst(unsigned seed);

// When each model is next needed, from the trace itself: stage i of a request needs its
// model at the request's start plus the service time of the stages before it.
class TraceForecast {
 public:
  explicit TraceForecast(const std::vector<Request>& trace);
  // Seconds from `now_s` (virtual) to the next use of `model` at or after now_s;
  // infinity when it is never used again.
  double SecondsToNextUse(const std::string& model, double now_s) const;

 private:
  std::map<std::string, std::vector<double>> uses_;  // sorted virtual seconds
};

}  // namespace harvis::bench
