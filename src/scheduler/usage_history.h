// Request history of one model: a decayed inter-arrival rate, from which the eviction
// policy estimates how likely the model is to be needed again soon.
//
// rate: exponentially weighted mean of 1 / inter-arrival gap (requests per second).
// The effective rate at time t is capped by 1 / (t - last request): a model that has
// been silent for an hour is not "used every ten seconds" any more, whatever its past.
// Not thread-safe: guarded by the owner's mutex.
#pragma once

#include <optional>

#include "scheduler/clock.h"

namespace harvis {

class UsageHistory {
 public:
  // Records one request at `now`.
  void Record(Clock::TimePoint now);
  // Effective requests per second at `now` (0 when never used).
  double Rate(Clock::TimePoint now) const;
  // Probability of at least one request within `horizon` of `now`, assuming Poisson
  // arrivals at Rate(now).
  double ReuseLikelihood(Clock::TimePoint now, Duration horizon) const;
  // The same, and until when the answer may be reused (the lazy decay): while the rate
  // is not capped by the silence the value is exact until the cap starts; once it
  // decays it is recomputed after kStaleFraction more silence (it then errs high, by
  // at most about that fraction). Record() makes any cached value stale.
  double ReuseLikelihood(Clock::TimePoint now, Duration horizon, Clock::TimePoint* valid_until) const;
  static constexpr double kStaleFraction = 0.05;
  std::optional<Clock::TimePoint> last() const { return last_; }
  long requests() const { return requests_; }

 private:
  static constexpr double kWeight = 0.3;  // of the newest gap in the moving average
  std::optional<Clock::TimePoint> last_;
  double rate_ = 0;
  long requests_ = 0;
};

}  // namespace harvis
