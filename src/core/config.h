// Harvis configuration (SPEC §3): one YAML file, environment overrides, and a default
// for every field, so that an empty configuration serves.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/units.h"

namespace harvis {

struct ServerConfig {
  std::string host = "0.0.0.0";
  int port = 8000;
  uint64_t max_body = 64 * kMiB;
  Duration request_timeout = std::chrono::seconds(300);
  // How long in-flight requests may run on after SIGTERM before the process exits.
  Duration drain_timeout = std::chrono::seconds(30);
  std::vector<std::string> api_keys;  // empty: no authentication
  Duration max_audio_duration = std::chrono::minutes(10);  // longer uploads: 413
};

struct OllamaConfig {
  std::string url = "http://localhost:11434";
  bool manage_residency = true;
  std::string device = "auto";  // auto: the first GPU, else host RAM
};

struct BudgetsConfig {
  uint64_t gpu_memory = 24 * kGiB;  // per GPU; capped by the device's real size
  double ram_fraction = 0.8;        // of the container's memory limit
  double cpu_fraction = 0.8;        // of the allocated cores
};

// Alert thresholds (SPEC §1): exported as harvis_threshold_breached{resource}.
struct ThresholdsConfig {
  uint64_t gpu_memory = 24 * kGiB;  // measured GPU memory used, per device
  double ram_fraction = 0.8;        // RAM used / container limit
  double cpu_fraction = 0.8;        // cores used / allocated cores
  uint64_t restarts = 0;            // restarts since the state dir was created
};

struct DefaultsConfig {
  std::string stt = "pocketsphinx";
  std::string tts = "espeak";
  std::string llm = "llama3.2:3b";
};

// Generated speech kept for GET /api/audio/{id} (SPEC §5).
struct AudioStoreConfig {
  uint64_t max_bytes = 256 * kMiB;                // oldest audio is dropped beyond this
  Duration ttl = std::chrono::hours(1);           // audio older than this is gone
};

struct SchedulerConfig {
  std::string policy = "cost";  // cost | lru | keepalive | unload-after-use
  int queue_size = 256;
  Duration queue_timeout = std::chrono::seconds(30);
  int gpu_concurrency = 8;  // concurrent engine calls per GPU (a device's own setting wins)
  // Under `cost`: while nothing waits, put the models most likely needed next into the
  // RAM tier (and onto a device with room to spare).
  bool prefetch = true;
};

enum class DeviceKind { kCpu, kGpu };

// A device listed in configuration instead of detected. `simulated: true` makes a
// test double of a GPU: it only accounts memory; engines placed there run on the CPU.
struct DeviceConfig {
  std::string id;
  DeviceKind kind = DeviceKind::kGpu;
  uint64_t memory = 0;
  bool simulated = false;
  int concurrency = 0;  // GPU: concurrent engine calls; 0: scheduler.gpu_concurrency
};

enum class ModelKind { kStt, kTts, kLlm };
enum class Priority { kRealtime, kNormal, kBatch };

const char* ModelKindName(ModelKind kind);
const char* PriorityName(Priority priority);

struct ModelConfig {
  std::string name;
  ModelKind kind = ModelKind::kStt;
  std::string engine;
  std::string path;
  std::string device = "auto";  // auto | cpu | gpu | a device id
  Duration keep_alive = std::chrono::minutes(5);  // kForever, or 0 = unload after use
  bool pinned = false;
  bool preload = false;
  std::string group;  // exclusive group; empty = none
  Priority priority = Priority::kNormal;
  int parallel = 1;
  std::optional<uint64_t> memory;  // declared footprint
  // Engine-specific scalars, kept as written (validated by the loader where the engine
  // is known, e.g. simulated: load_time, infer_time, fail_load).
  std::map<std::string, std::string> options;

  // options.threads when it is a positive integer, else `fallback`: the CPU threads the
  // scheduler grants a call, and the size of an engine's thread pool.
  int ThreadsOr(int fallback) const;
};

struct Config {
  std::string source = "<built-in defaults>";  // file the configuration came from
  ServerConfig server;
  OllamaConfig ollama;
  BudgetsConfig budgets;
  ThresholdsConfig thresholds;
  DefaultsConfig defaults;
  SchedulerConfig scheduler;
  AudioStoreConfig audio_store;
  bool devices_auto = true;
  std::vector<DeviceConfig> devices;  // used when devices_auto is false
  std::vector<ModelConfig> models;
  bool models_built_in = false;  // no `models` section: BuiltInModels() (+ the models folder's GGUFs)
  std::string state_dir = "/var/lib/harvis";
  std::string models_dir = "/var/lib/harvis/models";
  std::string log_level = "info";
  // Where `harvis models pull` fetches whisper.cpp models from ({source}/resolve/main/ggml-NAME.bin).
  std::string model_source = "https://huggingface.co/ggerganov/whisper.cpp";
};

using Environment = std::map<std::string, std::string>;

// The process environment, for LoadConfig.
Environment ProcessEnvironment();

// Parses YAML text. `source` names the file in error messages, which read
// "FILE:LINE: FIELD: what is wrong". Environment overrides are applied afterwards.
Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source,
                           const Environment& env);

// Reads the file (empty path: built-in defaults, or HARVIS_CONFIG when set).
Result<Config> LoadConfig(const std::string& path, const Environment& env);

}  // namespace harvis
