// The harvis sub-commands. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>

namespace harvis::app {

struct CommonOptions {
  std::string config_path;  // empty: HARVIS_CONFIG, else built-in defaults
  std::optional<std::string> host;
  std::optional<int> port;
};

int Serve(const CommonOptions& options);
int Doctor(const CommonOptions& options);

}  // namespace harvis::app
