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

struct PullOptions {
  std::string name;    // catalogue name, e.g. "base.en"
  std::string source;  // base URL; empty: the configuration's model_source
  std::string sha1;    // expected checksum; empty: the catalogue's
};

int Serve(const CommonOptions& options);
int ModelsList(const CommonOptions& options);
int ModelsPull(const CommonOptions& options, const PullOptions& pull);
int Doctor(const CommonOptions& options);

}  // namespace harvis::app
