// Residency policies (issue 3): which idle models to evict when a reservation does not
// fit. Selectable by name (scheduler.policy):
//   cost             (default) minimise sum of reload_time x reuse likelihood; size
//                    breaks ties (larger first: fewer victims for the same cost).
//                    keep_alive is the idle time before a model MAY be unloaded
//                    (SPEC §3): an expired model stays resident and is merely the
//                    first to go (expired before unexpired), never reaped on a timer.
//   lru              LocalAI-style: least recently used first; reaped at expiry.
//   keepalive        Ollama-style: shortest keep-alive first (then soonest expiry);
//                    reaped at expiry.
//   unload-after-use the original Harvis low-VRAM mode: every model is unloaded after
//                    each request (keep_alive 0); eviction order as lru.
//   clairvoyant      a reference for benchmarks, not a choice for servers: it knows the
//                    future requests (UsageForecast) and evicts the model needed
//                    furthest in the future (Belady); it prefetches by that knowledge.
// Mandatory victims (members of the incoming model's exclusive group) are chosen by
// the scheduler before the policy runs. Policies are stateless and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "scheduler/clock.h"

namespace harvis {

// An idle, unpinned, evictable model as the policy sees it.
struct VictimCandidate {
  size_t id = 0;  // caller's handle
  std::uint64_t bytes = 0;
  double reload_seconds = 0;    // measured (or predicted) load time
  double reuse_likelihood = 0;  // from UsageHistory
  Clock::TimePoint last_used{};
  Duration keep_alive{0};
  Clock::TimePoint expires_at{};
  bool expired = false;  // idle for at least its keep-alive
  double next_use_s = 0;  // seconds to its next request; only with a UsageForecast
};

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;
  virtual std::string_view name() const = 0;
  // True for unload-after-use: every model's keep-alive is treated as 0.
  virtual bool UnloadAfterUse() const { return false; }
  // Whether the maintenance thread unloads a model once its keep-alive has expired
  // (lru, keepalive). False for cost: expired models stay until memory is needed.
  // keep_alive 0 means unload after use under every policy.
  virtual bool ReapsExpired() const { return true; }
  // Whether the scheduler prefetches (into the RAM tier and onto a device with room)
  // under this policy: cost and clairvoyant. The others emulate servers that do not.
  virtual bool Prefetches() const { return false; }
  // Whether the policy needs SchedulerDeps::forecast (clairvoyant).
  virtual bool NeedsForecast() const { return false; }
  // Chooses victims whose bytes sum to at least `need`; nullopt when all candidates
  // together free less. Returns indexes into `candidates`.
  std::optional<std::vector<size_t>> Select(const std::vector<VictimCandidate>& candidates,
                                            std::uint64_t need) const;
  // Buffers Select reuses between calls (the scheduler's hot path allocates nothing).
  struct Scratch {
    struct Item {
      double primary, secondary;
      std::uint32_t index;
    };
    std::vector<Item> heap;
    std::vector<size_t> chosen;
  };
  // The same into `out` (cleared first); false when all candidates together free less.
  bool Select(const std::vector<VictimCandidate>& candidates, std::uint64_t need,
              std::vector<size_t>& out, Scratch& scratch) const;
  // Expected cost of losing these victims (for placement): sum of reload x reuse.
  static double CostOf(const std::vector<VictimCandidate>& candidates,
                       const std::vector<size_t>& chosen);

  // Eviction order: candidates with smaller keys go first (primary, then secondary).
  using SortKey = std::pair<double, double>;
  virtual SortKey Key(const VictimCandidate& c) const = 0;

 protected:
  // Whether a single candidate large enough may replace the greedy set (cost policy).
  virtual bool PreferCheapestSingle() const { return false; }
};

// Builds a policy by name (also "clairvoyant"); kInvalidArgument for unknown names.
Result<std::unique_ptr<EvictionPolicy>> MakeEvictionPolicy(std::string_view name);
// The policies a server may be configured with (not "clairvoyant").
std::vector<std::string> EvictionPolicyNames();

}  // namespace harvis
