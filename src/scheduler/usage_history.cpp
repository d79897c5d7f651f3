#include "scheduler/usage_history.h"

#include <algorithm>
#include <cmath>

namespace harvis {

namespace {
constexpr double kMinGapSeconds = 0.5;   // bursts count as at most 2 requests/s
constexpr double kFirstGapSeconds = 600; // prior for a model seen once
}  // namespace

void UsageHistory::Record(Clock::TimePoint now) {
  ++requests_;
  if (!last_) {
    rate_ = 1.0 / kFirstGapSeconds;
    last_ = now;
    return;
  }
  const double gap = std::max(kMinGapSeconds, SecondsBetween(*last_, now));
  rate_ = kWeight * (1.0 / gap) + (1.0 - kWeight) * rate_;
  if (now > *last_) last_ = now;
}

double UsageHistory::Rate(Clock::TimePoint now) const {
  if (!last_) return 0;
  const double silent = SecondsBetween(*last_, now);
  if (silent <= kMinGapSeconds) return rate_;
  return std::min(rate_, 1.0 / silent);
}

double UsageHistory::ReuseLikelihood(Clock::TimePoint now, Duration horizon) const {
  const double seconds = std::chrono::duration<double>(horizon).count();
  return 1.0 - std::exp(-Rate(now) * seconds);
}

}  // namespace harvis
