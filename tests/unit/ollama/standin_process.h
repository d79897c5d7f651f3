// Starts the Ollama stand-in (tests/ollama_standin) as a child process on a free
// loopback port, and talks to its admin endpoints. One object per test; not thread-safe.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

namespace harvis::testing {

// The models every test stand-in has unless a test asks for others.
inline constexpr const char* kStandinModels = "llama3.2:3b=2GiB,qwen2.5:7b=5GiB@Q8_0";

class StandinProcess {
 public:
  // Starts `ollama_standin --port 0 --models MODELS --tokens-per-second TPS [--vram-budget B]`
  // and waits for its "listening on" line. running() is false when that failed.
  explicit StandinProcess(const std::string& models = kStandinModels, double tokens_per_second = 200,
                          const std::string& vram_budget = "");
  ~StandinProcess();
  StandinProcess(const StandinProcess&) = delete;
  StandinProcess& operator=(const StandinProcess&) = delete;

  bool running() const { return pid_ > 0 && port_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // POST /__standin/fault.
  bool SetFault(const std::string& mode, int count = 1, int delay_ms = 3000);
  // GET /__standin/stats and /__standin/last_request (null on failure).
  nlohmann::json Stats();
  nlohmann::json LastRequest();
  // Polls Stats() until `key` >= `at_least` (up to `timeout_ms`); returns the last value.
  int WaitForStat(const std::string& key, int at_least, int timeout_ms = 15000);

 private:
  nlohmann::json GetJson(const std::string& path);

  pid_t pid_ = -1;
  int port_ = 0;
};

// A loopback port with nothing listening on it (bound, then closed).
int ClosedLoopbackPort();

}  // namespace harvis::testing
