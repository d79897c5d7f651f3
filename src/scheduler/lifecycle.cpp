#include "scheduler/lifecycle.h"

#include <algorithm>

namespace harvis {

const char* ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kUnloaded: return "unloaded";
    case ModelState::kLoading: return "loading";
    case ModelState::kReady: return "ready";
    case ModelState::kUnloading: return "unloading";
    case ModelState::kFailed: return "failed";
  }
  return "unknown";
}

bool IsValidTransition(ModelState from, ModelState to) {
  using S = ModelState;
  switch (from) {
    case S::kUnloaded: return to == S::kLoading;
    case S::kFailed: return to == S::kLoading;
    case S::kLoading: return to == S::kReady || to == S::kFailed || to == S::kUnloaded;
    case S::kReady: return to == S::kUnloading;
    case S::kUnloading: return to == S::kUnloaded;
  }
  return false;
}

Duration FailureBackoff(int consecutive_failures) {
  constexpr Duration kFirst = std::chrono::seconds(1);
  constexpr Duration kCap = std::chrono::minutes(5);
  const int doublings = std::clamp(consecutive_failures - 1, 0, 20);
  return std::min<Duration>(kFirst * (int64_t{1} << doublings), kCap);
}

}  // namespace harvis
