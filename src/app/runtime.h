// Runtime: builds the long-lived objects of a server from its configuration — the
// metrics registry, resource monitor, engine registry, device list and scheduler — in
// dependency order. `serve` runs it; `doctor` and `plan` build it without serving.
#pragma once

#include <memory>

#include "core/config.h"
#include "engines/engine.h"
#include "resources/monitor.h"
#include "resources/restarts.h"
#include "scheduler/scheduler.h"

namespace prometheus {
class Registry;
}

namespace harvis::app {

struct Runtime {
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<resources::ResourceMonitor> monitor;
  EngineRegistry engines;
  std::vector<DeviceInfo> devices;
  std::unique_ptr<Scheduler> scheduler;  // last: uses everything above
};

// Hardware given instead of measured (`harvis plan --memory/--cpus`).
struct RuntimeOverrides {
  std::optional<std::uint64_t> ram_limit;
  std::optional<double> cpu_cores;
};

// Builds a runtime. `background`: start the monitor's sampling thread (serve) or not
// (doctor). Fails when the scheduler cannot be built (e.g. a model that can never fit).
Result<std::unique_ptr<Runtime>> BuildRuntime(const Config& config, const resources::RestartInfo& restarts,
                                              bool background, const RuntimeOverrides& overrides = {});

}  // namespace harvis::app
