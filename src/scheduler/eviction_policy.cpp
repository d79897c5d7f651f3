#include "scheduler/eviction_policy.h"

#include <algorithm>
#include <numeric>

namespace harvis {
namespace {

double Cost(const VictimCandidate& c) { return c.reload_seconds * c.reuse_likelihood; }

class CostPolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "cost"; }

 protected:
  bool Before(const VictimCandidate& a, const VictimCandidate& b) const override {
    const double ca = Cost(a), cb = Cost(b);
    if (ca != cb) return ca < cb;
    return a.bytes > b.bytes;
  }
  bool PreferCheapestSingle() const override { return true; }
};

class LruPolicy : public EvictionPolicy {
 public:
  std::string_view name() const override { return "lru"; }

 protected:
  bool Before(const VictimCandidate& a, const VictimCandidate& b) const override {
    return a.last_used < b.last_used;
  }
};

class KeepAlivePolicy final : public EvictionPolicy {
 public:
  std::string_view name() const override { return "keepalive"; }

 protected:
  bool Before(const VictimCandidate& a, const VictimCandidate& b) const override {
    if (a.keep_alive != b.keep_alive) return a.keep_alive < b.keep_alive;
    return a.expires_at < b.expires_at;
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
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return Before(candidates[a], candidates[b]); });
  // Greedy in policy order until enough is freed.
  std::vector<size_t> chosen;
  std::uint64_t freed = 0;
  for (size_t i : order) {
    if (freed >= need) break;
    chosen.push_back(i);
    freed += candidates[i].bytes;
  }
  if (freed < need) return std::nullopt;
  // Prune: drop victims, latest in policy order first, that turned out unnecessary.
  for (size_t k = chosen.size(); k-- > 0;) {
    const std::uint64_t bytes = candidates[chosen[k]].bytes;
    if (freed - bytes >= need) {
      freed -= bytes;
      chosen.erase(chosen.begin() + static_cast<long>(k));
    }
  }
  if (PreferCheapestSingle() && chosen.size() > 1) {
    const double greedy_cost = CostOf(candidates, chosen);
    for (size_t i : order) {  // cheapest first, so the first that fits is the best single
      if (candidates[i].bytes >= need) {
        if (Cost(candidates[i]) < greedy_cost) chosen = {i};
        break;
      }
    }
  }
  return chosen;
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
