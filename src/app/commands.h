// The harvis sub-commands. Each returns the process exit code.
#pragma once

#include <optional>
#include <cstdint>
#include <string>
#include <vector>

namespace harvis::app {

struct CommonOptions {
  std::string config_path;  // empty: HARVIS_CONFIG, else built-in defaults
  std::optional<std::string> host;
  std::optional<int> port;
};

struct PullOptions {
  std::string name;    // catalogue name, e.g. "base.en"
  std::string source;  // base URL; empty: the configuration's model_source
  std::string sha1;    // expected checksum of a whisper model; empty: the catalogue's
  std::string sha256;  // expected checksum of an LLM; empty: the catalogue's
};

struct PlanOptions {
  std::vector<uint64_t> gpus;     // given GPU sizes; empty: detected / configured devices
  std::optional<uint64_t> memory;  // given container memory limit; else detected
  std::optional<double> cpus;      // given allocated cores; else detected
};

int Serve(const CommonOptions& options);
int Plan(const CommonOptions& options, const PlanOptions& plan);
int ModelsList(const CommonOptions& options);
int ModelsPull(const CommonOptions& options, const PullOptions& pull);
int Doctor(const CommonOptions& options);

}  // namespace harvis::app
