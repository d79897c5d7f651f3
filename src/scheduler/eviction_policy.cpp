#include "scheduler/eviction_policy.h"

#include <algorithm>

namespace harvis {
namespace {

double Cost(const VictimCandidate& c) { return c.reload_seconds * c.reuse_likelihood; }

double Ticks(Clock::TimePoint t) { return static_cast<double>(t.time_since_epoch().count()); }

class CostPolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "cost"; }
  // Cheapest to lose first; for equal cost the larger (fewer victims).
  SortKey Key(const VictimCandidate& c) const override {
    return {Cost(c), -static_cast<double>(c.bytes)};
  }

 protected:
  bool PreferCheapestSingle() const override { return true; }
};

class LruPolicy : public EvictionPolicy {
 public:
  std::string_view name() const override { return "lru"; }
  SortKey Key(const VictimCandidate& c) const override { return {Ticks(c.last_used), 0}; }
};

class KeepAlivePolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "keepalive"; }
  SortKey Key(const VictimCandidate& c) const override {
    return {static_cast<double>(c.keep_alive.count()), Ticks(c.expires_at)};
  }
};

class UnloadAfterUsePolicy final : public LruPolicy {
 public:
  std::string_view name() const override { return "unload-after-use"; }
  bool UnloadAfterUse() const override { return true; }
};

}  // namespace

double EvictionPolicy::CostOf(const std::vector<VictimCandidate>& candidates,
                              const std::vector<size_t>& chosen) {
  double total = 0;
  for (size_t i : chosen) total += Cost(candidates[i]);
  return total;
}

std::optional<std::vector<size_t>> EvictionPolicy::Select(
    const std::vector<VictimCandidate>& candidates, std::uint64_t need) const {
  if (need == 0) return std::vector<size_t>{};
  // A min-heap of indexes in policy order: only as many as needed are popped.
  std::vector<SortKey> keys(candidates.size());
  std::vector<std::uint32_t> heap(candidates.size());
  std::uint64_t total = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    keys[i] = Key(candidates[i]);
    heap[i] = static_cast<std::uint32_t>(i);
    total += candidates[i].bytes;
  }
  if (total < need) return std::nullopt;
  auto later = [&keys](std::uint32_t a, std::uint32_t b) { return keys[b] < keys[a]; };
  std::make_heap(heap.begin(), heap.end(), later);
  std::vector<size_t> chosen;
  std::uint64_t freed = 0;
  while (freed < need) {
    std::pop_heap(heap.begin(), heap.end(), later);
    chosen.push_back(heap.back());
    freed += candidates[heap.back()].bytes;
    heap.pop_back();
  }
  // Prune: drop victims, latest in policy order first, that turned out unnecessary.
  std::vector<size_t> kept;
  for (size_t k = chosen.size(); k-- > 0;) {
    const std::uint64_t bytes = candidates[chosen[k]].bytes;
    if (freed - bytes >= need) {
      freed -= bytes;
    } else {
      kept.push_back(chosen[k]);
    }
  }
  std::reverse(kept.begin(), kept.end());
  if (PreferCheapestSingle() && kept.size() > 1) {
    // One candidate large enough may cost less than the greedy set.
    std::optional<size_t> single;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].bytes >= need && (!single || keys[i] < keys[*single])) single = i;
    }
    if (single && Cost(candidates[*single]) < CostOf(candidates, kept)) kept = {*single};
  }
  return kept;
}

Result<std::unique_ptr<EvictionPolicy>> MakeEvictionPolicy(std::string_view name) {
  if (name == "cost") return std::unique_ptr<EvictionPolicy>(new CostPolicy());
  if (name == "lru") return std::unique_ptr<EvictionPolicy>(new LruPolicy());
  if (name == "keepalive") return std::unique_ptr<EvictionPolicy>(new KeepAlivePolicy());
  if (name == "unload-after-use") return std::unique_ptr<EvictionPolicy>(new UnloadAfterUsePolicy());
  return Status(ErrorCode::kInvalidArgument,
                "unknown scheduler policy '" + std::string(name) +
                    "' (expected cost, lru, keepalive or unload-after-use)");
}

std::vector<std::string> EvictionPolicyNames() {
  return {"cost", "lru", "keepalive", "unload-after-use"};
}

}  // namespace harvis
