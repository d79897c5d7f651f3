// Restart accounting in the state dir, so that harvis_restarts_total counts every start
// after the first and crashes are visible:
//   <state_dir>/restarts        "restarts N" and "unclean_shutdowns M", rewritten
//                               atomically at each start;
//   <state_dir>/running.marker  created at start, removed at clean shutdown; finding it
//                               at start means the previous run did not shut down cleanly.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace harvis::resources {

struct RestartInfo {
  uint64_t restarts = 0;            // starts after the first one ever in this state dir
  uint64_t unclean_shutdowns = 0;   // starts that found the previous run's marker
  bool first_start = true;          // no count file existed before this start
  bool previous_run_unclean = false;  // this start found the marker
};

// Records a start: reads and increments the counts (creating the state dir when
// missing), persists them, and creates the running marker. kFailedPrecondition naming
// the path when the state dir cannot be created or written. Call once per process,
// before serving; not safe against two processes sharing one state dir.
Result<RestartInfo> RecordStart(const std::string& state_dir);

// Removes the running marker: the next RecordStart sees a clean shutdown. Failures are
// logged, never thrown. Call once, at the end of a graceful shutdown.
void RecordCleanShutdown(const std::string& state_dir);

}  // namespace harvis::resources
