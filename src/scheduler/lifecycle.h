// Model lifecycle (SPEC §4): the state machine every model follows.
//
//                 admit + reserve            load ok, reservation corrected
//    UNLOADED ------------------> LOADING ---------------------------------> READY
//       ^   ^                      |   |                                      |
//       |   |  admission aborted   |   | load failed / does not fit           | idle and evicted,
//       |   +----------------------+   v                                      | expired or unloaded
//       |                            FAILED (reason, retry_at: back-off 1 s,  |
//       |                              |     2 s, 4 s ... capped at 5 min)    v
//       |                              +--- retry_at passed: LOADING      UNLOADING
//       +--------------------------------------------------------------------+
//                        engine unloaded, memory verified, reservation released
//
// Only READY models take leases; a leased model never leaves READY. While a model is
// LOADING "admitting", its victims are being unloaded and it holds no reservation yet.
#pragma once

#include "core/units.h"

namespace harvis {

enum class ModelState { kUnloaded, kLoading, kReady, kUnloading, kFailed };

// "unloaded", "loading", "ready", "unloading", "failed".
const char* ModelStateName(ModelState state);

// Whether the diagram above has the edge from -> to.
bool IsValidTransition(ModelState from, ModelState to);

// Back-off after `consecutive_failures` (>= 1) failed loads: 1 s doubling to 5 min.
Duration FailureBackoff(int consecutive_failures);

}  // namespace harvis
