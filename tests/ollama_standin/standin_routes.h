// HTTP routes of the Ollama stand-in: Ollama's API (/api/version, /api/tags, /api/show,
// /api/ps, /api/generate, /api/chat) and the admin endpoints tests use:
//   POST /__standin/fault  {"mode": "oom"|"garbage"|"html"|"truncate"|"slow"|"none",
//                           "count": N (default 1; -1 until reset), "delay_ms": 3000}
//   GET  /__standin/stats         counters (requests per path, loads, unloads, evictions,
//                                 streams_completed, streams_cut, disconnects)
//   GET  /__standin/last_request  {"path", "body"} of the last /api/chat or /api/generate
//   POST /__standin/reset         unloads everything, clears faults and counters
// Faults apply to model requests (/api/chat, /api/generate) only.
#pragma once

#include <httplib.h>

#include "standin_state.h"

namespace standin {

struct StandinSettings {
  double tokens_per_second = 30;  // streaming pace; the answer's tokens are words
};

// Registers every route; `state` and `settings` must outlive the server.
void InstallRoutes(httplib::Server& server, StandinState& state, const StandinSettings& settings);

// The deterministic answer to `last_user`: an echo of it, then five fixed sentences.
std::string AnswerText(const std::string& last_user);

}  // namespace standin
