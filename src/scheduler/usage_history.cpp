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

double UsageHistory::ReuseLikelihood(Clock::TimePoint now, Duration horizon,
                                     Clock::TimePoint* valid_until) const {
  if (!last_ || rate_ <= 0) {
    *valid_until = Clock::TimePoint::max();  // until the next Record()
    return 0;
  }
  const double h = std::chrono::duration<double>(horizon).count();
  const double silent = SecondsBetween(*last_, now);
  const double cap_from = std::max(kMinGapSeconds, 1.0 / rate_);  // silence that caps the rate
  if (silent <= cap_from) {
    *valid_until = *last_ + std::chrono::duration_cast<Duration>(
                                std::chrono::duration<double>(cap_from));
    return 1.0 - std::exp(-rate_ * h);
  }
  *valid_until = now + std::chrono::duration_cast<Duration>(
                           std::chrono::duration<double>(silent * kStaleFraction));
  return 1.0 - std::exp(-h / silent);
}

}  // namespace harvis
