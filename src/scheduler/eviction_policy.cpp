#include "scheduler/eviction_policy.h"

#include <algorithm>

namespace harvis {
namespace {

double Cost(const VictimCandidate& c) { return c.reload_seconds * c.reuse_likelihood; }

// Expired candidates rank before every unexpired one (cost stays far below this).
constexpr double kUnexpiredPenalty = 1e9;

double Ticks(Clock::TimePoint t) { return static_cast<double>(t.time_since_epoch().count()); }

class CostPolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "cost"; }
  // Expired first, then cheapest to lose; for equal cost the larger (fewer victims).
  SortKey Key(const VictimCandidate& c) const override {
    return {Cost(c) + (c.expired ? 0.0 : kUnexpiredPenalty), -static_cast<double>(c.bytes)};
  }
  bool ReapsExpired() const override { return false; }
  bool Prefetches() const override { return true; }

 protected:
  bool PreferCheapestSingle() const override { return true; }
};

class ClairvoyantPolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "clairvoyant"; }
  // Needed furthest in the future first; then the larger.
  SortKey Key(const VictimCandidate& c) const override {
    return {-c.next_use_s, -static_cast<double>(c.bytes)};
  }
  bool ReapsExpired() const override { return false; }
  bool Prefetches() const override { return true; }
  bool NeedsForecast() const override { return true; }
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
  Scratch scratch;
  std::vector<size_t> out;
  if (!Select(candidates, need, out, scratch)) return std::nullopt;
  return out;
}

bool EvictionPolicy::Select(const std::vector<VictimCandidate>& candidates, std::uint64_t need,
                            std::vector<size_t>& kept, Scratch& scratch) const {
  kept.clear();
  if (need == 0) return true;
  // A min-heap in policy order (keys stored inline): only as many as needed are popped.
  using Item = Scratch::Item;
  std::vector<Item>& heap = scratch.heap;
  heap.resize(candidates.size());
  std::uint64_t total = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const SortKey k = Key(candidates[i]);
    heap[i] = Item{k.first, k.second, static_cast<std::uint32_t>(i)};
    total += candidates[i].bytes;
  }
  if (total < need) return false;
  auto later = [](const Item& a, const Item& b) {
    return b.primary < a.primary || (b.primary == a.primary && b.secondary < a.secondary);
  };
  std::make_heap(heap.begin(), heap.end(), later);
  std::vector<size_t>& chosen = scratch.chosen;
  chosen.clear();
  std::uint64_t freed = 0;
  while (freed < need) {
    std::pop_heap(heap.begin(), heap.end(), later);
    chosen.push_back(heap.back().index);
    freed += candidates[heap.back().index].bytes;
    heap.pop_back();
  }
  // Prune: drop victims, latest in policy order first, that turned out unnecessary.
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
    SortKey single_key{};
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (candidates[i].bytes < need) continue;
      const SortKey k = Key(candidates[i]);
      if (!single || k < single_key) {
        single = i;
        single_key = k;
      }
    }
    // Compared as (unexpired victims, cost): expired models are always preferred.
    if (single) {
      size_t unexpired = 0;
      for (size_t i : kept) unexpired += candidates[i].expired ? 0 : 1;
      const size_t single_unexpired = candidates[*single].expired ? 0 : 1;
      if (std::make_pair(single_unexpired, Cost(candidates[*single])) <
          std::make_pair(unexpired, CostOf(candidates, kept))) {
        kept.assign(1, *single);
      }
    }
  }
  return true;
}

Result<std::unique_ptr<EvictionPolicy>> MakeEvictionPolicy(std::string_view name) {
  if (name == "cost") return std::unique_ptr<EvictionPolicy>(new CostPolicy());
  if (name == "lru") return std::unique_ptr<EvictionPolicy>(new LruPolicy());
  if (name == "keepalive") return std::unique_ptr<EvictionPolicy>(new KeepAlivePolicy());
  if (name == "unload-after-use") return std::unique_ptr<EvictionPolicy>(new UnloadAfterUsePolicy());
  if (name == "clairvoyant") return std::unique_ptr<EvictionPolicy>(new ClairvoyantPolicy());
  return Status(ErrorCode::kInvalidArgument,
                "unknown scheduler policy '" + std::string(name) +
                    "' (expected cost, lru, keepalive or unload-after-use)");
}

std::vector<std::string> EvictionPolicyNames() {
  return {"cost", "lru", "keepalive", "unload-after-use"};
}

}  // namespace harvis
