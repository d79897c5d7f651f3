// The Ollama stand-in's model store: which models are installed, which are resident
// (with size and size_vram as /api/ps reports them), keep_alive expiry, least-recently
// used eviction when the VRAM budget is full (as Ollama does), injected faults, and the
// counters tests read through the admin endpoints. A TEST DOUBLE: no weights, no
// inference; answers are deterministic text.
//
// Thread safety: every method may be called from any thread (one mutex guards all
// mutable state; it is never held while sleeping or doing I/O).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace standin {

using Clock = std::chrono::steady_clock;

// An installed model (from --models "name=2GiB[@Q8_0],...").
struct InstalledModel {
  std::string name;
  std::uint64_t size = 0;  // bytes on disk = bytes when fully loaded
  std::string quantization = "Q4_K_M";
  std::uint64_t parameter_count = 0;
};

enum class FaultMode { kNone, kOom, kGarbage, kHtml, kTruncate, kSlow };

// A fault applied to the next `count` model requests (/api/chat, /api/generate);
// count < 0: until reset.
struct Fault {
  FaultMode mode = FaultMode::kNone;
  int count = 0;
  int delay_ms = 3000;  // kSlow: wait before the answer starts
};

std::optional<FaultMode> ParseFaultMode(const std::string& text);

// The current wall-clock time in RFC 3339 (UTC, microseconds), as Ollama's created_at.
std::string NowRfc3339();

class StandinState {
 public:
  StandinState(std::vector<InstalledModel> models, std::uint64_t vram_budget);

  const InstalledModel* Find(const std::string& name) const;
  const std::vector<InstalledModel>& installed() const { return installed_; }

  // A request starts using `name`: loads it (evicting idle models when the budget is
  // full) and marks it busy. `name` must be installed.
  void Begin(const std::string& name);
  // The request ended: the model is idle again and expires after `keep_alive`
  // (nullopt: the default 5m; negative: never; 0: unloaded now if idle).
  void End(const std::string& name, std::optional<std::chrono::milliseconds> keep_alive);
  // Unloads idle models whose keep_alive has passed (called by the reaper thread).
  void ReapExpired();

  nlohmann::json RunningJson() const;  // the /api/ps answer

  // Faults: the next model request takes one.
  void SetFault(const Fault& fault);
  Fault TakeFault();

  // Counters and the last model request body, for the admin endpoints.
  void RecordRequest(const std::string& path, const nlohmann::json& body);
  void NoteStreamEnd(bool completed, bool client_gone);
  nlohmann::json StatsJson() const;
  nlohmann::json LastRequest() const;
  // Unloads everything and clears faults, counters and the last request.
  void Reset();

 private:
  struct Resident {
    std::uint64_t size = 0;
    std::uint64_t size_vram = 0;
    int active = 0;
    bool forever = false;
    Clock::time_point expires{};
    Clock::time_point last_used{};
  };
  void EvictForLocked(std::uint64_t need);
  void UnloadLocked(const std::string& name);

  const std::vector<InstalledModel> installed_;
  const std::uint64_t vram_budget_;  // 0: unlimited
  mutable std::mutex mu_;            // guards everything below
  std::map<std::string, Resident> resident_;
  Fault fault_;
  nlohmann::json last_request_;
  std::map<std::string, int> requests_;
  int loads_ = 0, unloads_ = 0, evictions_ = 0;
  int streams_completed_ = 0, streams_cut_ = 0, disconnects_ = 0;
};

}  // namespace standin
