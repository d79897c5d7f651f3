#include "app/startup.h"

#include "app/models_folder.h"

namespace harvis::app {

Result<Config> LoadEffectiveConfig(const CommonOptions& options) {
  auto config = LoadConfig(options.config_path, ProcessEnvironment());
  if (!config.ok()) return config;
  if (options.host) config->server.host = *options.host;
  if (options.port) config->server.port = *options.port;
  AddModelsFolderGgufs(*config);
  return config;
}

resources::MonitorOptions MonitorOptionsFrom(const Config& config, const resources::RestartInfo& restarts) {
  resources::MonitorOptions o;
  o.thresholds = config.thresholds;
  o.restarts = restarts;
  return o;
}

}  // namespace harvis::app
