// Start-up helpers shared by `serve` and `doctor`.
#pragma once

#include "app/commands.h"
#include "core/config.h"
#include "resources/monitor.h"
#include "resources/restarts.h"

namespace harvis::app {

// The configuration file (or defaults) with environment and command-line overrides.
Result<Config> LoadEffectiveConfig(const CommonOptions& options);

// Monitor settings derived from the configuration.
resources::MonitorOptions MonitorOptionsFrom(const Config& config, const resources::RestartInfo& restarts);

}  // namespace harvis::app
