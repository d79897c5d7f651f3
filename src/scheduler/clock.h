// Time source of the scheduler. Keep-alive expiry, failure back-off and request
// history use a Clock so that tests can drive time by hand (ManualClock) and the trace
// replay can run faster than real time (ScaledClock). Waits in the admission queue use
// real time (std::chrono::steady_clock) because they block threads.
#pragma once

#include <atomic>
#include <chrono>

#include "core/units.h"

namespace harvis {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Current time; thread-safe.
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// Time that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(Duration(now_ms_.load())); }
  void Advance(Duration d) { now_ms_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_ms_{1'000'000'000};  // far from zero, so "now - x" never underflows
};

// Real time multiplied by `factor` since construction (the trace replay runs a day of
// traffic in minutes). Thread-safe.
class ScaledClock final : public Clock {
 public:
  explicit ScaledClock(double factor) : factor_(factor), start_(std::chrono::steady_clock::now()) {}
  TimePoint Now() const override {
    auto real = std::chrono::steady_clock::now() - start_;
    return start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(real * factor_);
  }

 private:
  double factor_;
  std::chrono::steady_clock::time_point start_;
};

// Seconds between two time points, as a double.
inline double SecondsBetween(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace harvis
