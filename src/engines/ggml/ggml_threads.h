// The number of threads a ggml engine call may use.
#pragma once

#include <algorithm>

namespace harvis {

// `requested` (the scheduler's grant), at least 1. A ThreadSanitizer build caps it at
// HARVIS_GGML_MAX_THREADS=1: its ggml is not instrumented (cmake/third_party.cmake), and
// one thread keeps every ggml access on the caller's thread, ordered by our own locks.
inline int GgmlThreads(int requested) {
#ifdef HARVIS_GGML_MAX_THREADS
  requested = std::min(requested, HARVIS_GGML_MAX_THREADS);
#endif
  return std::max(1, requested);
}

}  // namespace harvis
