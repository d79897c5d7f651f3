#include "core/config.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_yaml.h"

extern char** environ;

namespace harvis {

using config_detail::ConfigError;
using config_detail::YamlReader;

const char* ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kStt: return "stt";
    case ModelKind::kTts: return "tts";
    case ModelKind::kLlm: return "llm";
  }
  return "stt";
}

const char* PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kRealtime: return "realtime";
    case Priority::kNormal: return "normal";
    case Priority::kBatch: return "batch";
  }
  return "normal";
}

namespace {

void ParseServer(const YamlReader& r, const YAML::Node& n, ServerConfig& s) {
  r.ExpectKeys(n, "server", {"host", "port", "max_body", "request_timeout", "drain_timeout", "api_keys",
                             "max_audio_duration"});
  if (n["host"]) s.host = r.Scalar(n["host"], "server.host");
  if (n["port"]) s.port = static_cast<int>(r.Integer(n["port"], "server.port", 0, 65535));
  if (n["max_body"]) s.max_body = r.Size(n["max_body"], "server.max_body");
  if (n["request_timeout"]) s.request_timeout = r.Duration(n["request_timeout"], "server.request_timeout");
  if (n["drain_timeout"]) s.drain_timeout = r.Duration(n["drain_timeout"], "server.drain_timeout");
  if (n["max_audio_duration"]) {
    s.max_audio_duration = r.Duration(n["max_audio_duration"], "server.max_audio_duration");
  }
  if (auto keys = n["api_keys"]) {
    if (!keys.IsSequence()) r.Fail(keys, "server.api_keys", "expected a list of keys");
    for (const auto& k : keys) s.api_keys.push_back(r.Scalar(k, "server.api_keys[]"));
  }
  if (s.max_body == 0) r.Fail(n["max_body"], "server.max_body", "must be greater than 0");
}

void ParseOllama(const YamlReader& r, const YAML::Node& n, OllamaConfig& o) {
  r.ExpectKeys(n, "ollama", {"url", "manage_residency", "device"});
  if (n["url"]) o.url = r.Scalar(n["url"], "ollama.url");
  if (n["manage_residency"]) o.manage_residency = r.Bool(n["manage_residency"], "ollama.manage_residency");
  if (n["device"]) o.device = r.Scalar(n["device"], "ollama.device");
}

void ParseBudgets(const YamlReader& r, const YAML::Node& n, BudgetsConfig& b) {
  r.ExpectKeys(n, "budgets", {"gpu_memory", "ram_fraction", "cpu_fraction"});
  if (n["gpu_memory"]) b.gpu_memory = r.Size(n["gpu_memory"], "budgets.gpu_memory");
  if (n["ram_fraction"]) b.ram_fraction = r.Fraction(n["ram_fraction"], "budgets.ram_fraction");
  if (n["cpu_fraction"]) b.cpu_fraction = r.Fraction(n["cpu_fraction"], "budgets.cpu_fraction");
}

void ParseThresholds(const YamlReader& r, const YAML::Node& n, ThresholdsConfig& t) {
  r.ExpectKeys(n, "thresholds", {"gpu_memory", "ram_fraction", "cpu_fraction", "restarts"});
  if (n["gpu_memory"]) t.gpu_memory = r.Size(n["gpu_memory"], "thresholds.gpu_memory");
  if (n["ram_fraction"]) t.ram_fraction = r.Fraction(n["ram_fraction"], "thresholds.ram_fraction");
  if (n["cpu_fraction"]) t.cpu_fraction = r.Fraction(n["cpu_fraction"], "thresholds.cpu_fraction");
  if (n["restarts"]) {
    t.restarts = static_cast<uint64_t>(r.Integer(n["restarts"], "thresholds.restarts", 0, 1 << 30));
  }
}

void ParseDefaults(const YamlReader& r, const YAML::Node& n, DefaultsConfig& d) {
  r.ExpectKeys(n, "defaults", {"stt", "tts", "llm"});
  if (n["stt"]) d.stt = r.Scalar(n["stt"], "defaults.stt");
  if (n["tts"]) d.tts = r.Scalar(n["tts"], "defaults.tts");
  if (n["llm"]) d.llm = r.Scalar(n["llm"], "defaults.llm");
}

void ParseScheduler(const YamlReader& r, const YAML::Node& n, SchedulerConfig& s) {
  r.ExpectKeys(n, "scheduler", {"policy", "queue_size", "queue_timeout", "gpu_concurrency", "prefetch"});
  if (n["policy"]) {
    s.policy = r.Choice(n["policy"], "scheduler.policy", {"cost", "lru", "keepalive", "unload-after-use"});
  }
  if (n["queue_size"]) s.queue_size = static_cast<int>(r.Integer(n["queue_size"], "scheduler.queue_size", 1, 1 << 20));
  if (n["queue_timeout"]) s.queue_timeout = r.Duration(n["queue_timeout"], "scheduler.queue_timeout");
  if (n["gpu_concurrency"]) {
    s.gpu_concurrency = static_cast<int>(r.Integer(n["gpu_concurrency"], "scheduler.gpu_concurrency", 1, 1024));
  }
  if (n["prefetch"]) s.prefetch = r.Bool(n["prefetch"], "scheduler.prefetch");
}

void ParseAudioStore(const YamlReader& r, const YAML::Node& n, AudioStoreConfig& a) {
  r.ExpectKeys(n, "audio_store", {"max_bytes", "ttl"});
  if (n["max_bytes"]) a.max_bytes = r.Size(n["max_bytes"], "audio_store.max_bytes");
  if (n["ttl"]) a.ttl = r.Duration(n["ttl"], "audio_store.ttl");
  if (a.max_bytes == 0) r.Fail(n["max_bytes"], "audio_store.max_bytes", "must be greater than 0");
  if (a.ttl < std::chrono::seconds(1)) r.Fail(n["ttl"], "audio_store.ttl", "must be at least 1s");
}

void ParseDevices(const YamlReader& r, const YAML::Node& n, Config& c) {
  if (n.IsScalar()) {
    r.Choice(n, "devices", {"auto"});
    return;
  }
  if (!n.IsSequence()) r.Fail(n, "devices", "expected 'auto' or a list of devices");
  c.devices_auto = false;
  std::set<std::string> ids;
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node d = n[i];
    std::string f = "devices[" + std::to_string(i) + "]";
    r.ExpectKeys(d, f, {"id", "kind", "memory", "simulated", "concurrency"});
    DeviceConfig dev;
    if (!d["id"]) r.Fail(d, f + ".id", "required");
    dev.id = r.Scalar(d["id"], f + ".id");
    if (!ids.insert(dev.id).second) r.Fail(d["id"], f + ".id", "duplicate device id '" + dev.id + "'");
    if (d["kind"]) dev.kind = r.Choice(d["kind"], f + ".kind", {"gpu", "cpu"}) == "gpu" ? DeviceKind::kGpu : DeviceKind::kCpu;
    if (d["memory"]) dev.memory = r.Size(d["memory"], f + ".memory");
    if (d["simulated"]) dev.simulated = r.Bool(d["simulated"], f + ".simulated");
    if (d["concurrency"]) {
      dev.concurrency = static_cast<int>(r.Integer(d["concurrency"], f + ".concurrency", 1, 1024));
      if (dev.kind != DeviceKind::kGpu) {
        r.Fail(d["concurrency"], f + ".concurrency", "only for a GPU (the host's compute is budgets.cpu_fraction)");
      }
    }
    if (dev.simulated && dev.memory == 0) r.Fail(d, f + ".memory", "a simulated device needs a memory size");
    c.devices.push_back(dev);
  }
}

void ValidateSimulatedOptions(const YamlReader& r, const YAML::Node& opts, const std::string& f) {
  r.ExpectKeys(opts, f, {"load_time", "infer_time", "fail_load"});
  if (opts["load_time"]) r.Duration(opts["load_time"], f + ".load_time");
  if (opts["infer_time"]) r.Duration(opts["infer_time"], f + ".infer_time");
  if (auto fl = opts["fail_load"]) {
    std::string v = r.Scalar(fl, f + ".fail_load");
    if (v != "true" && v != "false") {
      char* end = nullptr;
      double p = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || p < 0.0 || p > 1.0) {
        r.Fail(fl, f + ".fail_load", "expected true, false or a probability in [0, 1], got '" + v + "'");
      }
    }
  }
}

void ParseModelOptions(const YamlReader& r, const YAML::Node& opts, const std::string& f, ModelConfig& m) {
  if (!opts.IsMap()) r.Fail(opts, f, "expected a mapping of option: value");
  if (m.engine == "simulated") ValidateSimulatedOptions(r, opts, f);
  for (const auto& kv : opts) {
    std::string key = kv.first.Scalar();
    m.options[key] = r.Scalar(kv.second, f + "." + key);
  }
}

ModelConfig ParseModel(const YamlReader& r, const YAML::Node& n, const std::string& f) {
  r.ExpectKeys(n, f, {"name", "kind", "engine", "path", "device", "keep_alive", "pinned", "preload",
                      "group", "priority", "parallel", "memory", "options"});
  ModelConfig m;
  for (const char* required : {"name", "kind", "engine"}) {
    if (!n[required]) r.Fail(n, f + "." + required, "required");
  }
  m.name = r.Scalar(n["name"], f + ".name");
  if (m.name.empty()) r.Fail(n["name"], f + ".name", "must not be empty");
  std::string kind = r.Choice(n["kind"], f + ".kind", {"stt", "tts", "llm"});
  m.kind = kind == "stt" ? ModelKind::kStt : kind == "tts" ? ModelKind::kTts : ModelKind::kLlm;
  m.engine = r.Choice(n["engine"], f + ".engine",
                      {"whisper", "pocketsphinx", "espeak", "flite", "llama", "ollama", "simulated"});
  if (n["path"]) m.path = r.String(n["path"], f + ".path");
  if (n["device"]) m.device = r.Scalar(n["device"], f + ".device");
  if (n["keep_alive"]) m.keep_alive = r.KeepAlive(n["keep_alive"], f + ".keep_alive");
  if (n["pinned"]) m.pinned = r.Bool(n["pinned"], f + ".pinned");
  if (n["preload"]) m.preload = r.Bool(n["preload"], f + ".preload");
  if (n["group"]) m.group = r.String(n["group"], f + ".group");
  if (n["priority"]) {
    std::string p = r.Choice(n["priority"], f + ".priority", {"realtime", "normal", "batch"});
    m.priority = p == "realtime" ? Priority::kRealtime : p == "normal" ? Priority::kNormal : Priority::kBatch;
  }
  if (n["parallel"]) m.parallel = static_cast<int>(r.Integer(n["parallel"], f + ".parallel", 1, 1024));
  if (n["memory"]) m.memory = r.Size(n["memory"], f + ".memory");
  if (n["options"]) ParseModelOptions(r, n["options"], f + ".options", m);
  return m;
}

void ParseModels(const YamlReader& r, const YAML::Node& n, Config& c) {
  if (n.IsNull()) return;
  if (!n.IsSequence()) r.Fail(n, "models", "expected a list of models");
  std::set<std::string> names;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string f = "models[" + std::to_string(i) + "]";
    ModelConfig m = ParseModel(r, n[i], f);
    if (!names.insert(m.name).second) r.Fail(n[i]["name"], f + ".name", "duplicate model name '" + m.name + "'");
    c.models.push_back(std::move(m));
  }
}

// Devices named by models must exist when the device list is explicit.
void ValidateModelDevices(const YamlReader& r, const YAML::Node& models, const Config& c) {
  if (c.devices_auto) return;
  for (size_t i = 0; i < c.models.size(); ++i) {
    const std::string& d = c.models[i].device;
    if (d == "auto" || d == "cpu" || d == "gpu") continue;
    bool found = false;
    for (const auto& dev : c.devices) found = found || dev.id == d;
    if (!found) {
      r.Fail(models[i]["device"], "models[" + std::to_string(i) + "].device",
             "unknown device '" + d + "' (not in devices)");
    }
  }
}

// Without a `models` section, Harvis serves what needs no download: Debian's
// pocketsphinx en-us model, the espeak-ng and flite voices, and the default LLM in Ollama.
std::vector<ModelConfig> BuiltInModels(const DefaultsConfig& defaults) {
  auto model = [](std::string name, ModelKind kind, std::string engine, std::string device) {
    ModelConfig m;
    m.name = std::move(name);
    m.kind = kind;
    m.engine = std::move(engine);
    m.device = std::move(device);
    return m;
  };
  return {model("pocketsphinx", ModelKind::kStt, "pocketsphinx", "cpu"),
          model("espeak", ModelKind::kTts, "espeak", "cpu"), model("flite", ModelKind::kTts, "flite", "cpu"),
          model(defaults.llm, ModelKind::kLlm, "ollama", "auto")};
}

void ParseRoot(const YamlReader& r, const YAML::Node& root, Config& c) {
  c.models_built_in = root.IsNull() || !root["models"];
  if (c.models_built_in) c.models = BuiltInModels(c.defaults);
  if (root.IsNull()) return;  // an empty file: all defaults
  r.ExpectKeys(root, "", {"server", "ollama", "budgets", "thresholds", "defaults", "scheduler", "audio_store",
                          "devices", "models", "state_dir", "models_dir", "log_level", "model_source"});
  if (root["server"]) ParseServer(r, root["server"], c.server);
  if (root["ollama"]) ParseOllama(r, root["ollama"], c.ollama);
  if (root["budgets"]) ParseBudgets(r, root["budgets"], c.budgets);
  if (root["thresholds"]) ParseThresholds(r, root["thresholds"], c.thresholds);
  if (root["defaults"]) {
    ParseDefaults(r, root["defaults"], c.defaults);
    if (!root["models"]) c.models = BuiltInModels(c.defaults);
  }
  if (root["scheduler"]) ParseScheduler(r, root["scheduler"], c.scheduler);
  if (root["audio_store"]) ParseAudioStore(r, root["audio_store"], c.audio_store);
  if (root["devices"]) ParseDevices(r, root["devices"], c);
  if (root["models"]) ParseModels(r, root["models"], c);
  if (root["state_dir"]) c.state_dir = r.Scalar(root["state_dir"], "state_dir");
  if (root["models_dir"]) c.models_dir = r.Scalar(root["models_dir"], "models_dir");
  if (root["model_source"]) c.model_source = r.Scalar(root["model_source"], "model_source");
  if (root["log_level"]) {
    c.log_level = r.Choice(root["log_level"], "log_level", {"trace", "debug", "info", "warn", "error"});
  }
  if (root["models"]) ValidateModelDevices(r, root["models"], c);
}

std::vector<std::string> SplitKeys(const std::string& csv) {
  std::vector<std::string> keys;
  std::stringstream ss(csv);
  std::string key;
  while (std::getline(ss, key, ',')) {
    size_t b = key.find_first_not_of(" \t"), e = key.find_last_not_of(" \t");
    if (b != std::string::npos) keys.push_back(key.substr(b, e - b + 1));
  }
  return keys;
}

Status ApplyEnvironment(const Environment& env, Config& c) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (auto v = get("OLLAMA_CLOUD_URL")) c.ollama.url = *v;
  if (auto v = get("HARVIS_HOST")) c.server.host = *v;
  if (auto v = get("HARVIS_PORT")) {
    char* end = nullptr;
    long port = std::strtol(v->c_str(), &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
      return {ErrorCode::kInvalidArgument, "environment: HARVIS_PORT: invalid port '" + *v + "'"};
    }
    c.server.port = static_cast<int>(port);
  }
  if (auto it = env.find("HARVIS_API_KEYS"); it != env.end()) c.server.api_keys = SplitKeys(it->second);
  if (auto v = get("HARVIS_STATE_DIR")) c.state_dir = *v;
  if (auto v = get("HARVIS_MODELS_DIR")) c.models_dir = *v;
  if (auto v = get("HARVIS_MODEL_SOURCE")) c.model_source = *v;
  return Status::Ok();
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source,
                           const Environment& env) {
  Config config;
  config.source = source;
  YamlReader reader(source);
  try {
    ParseRoot(reader, YAML::Load(yaml_text), config);
  } catch (const ConfigError& e) {
    return Status(ErrorCode::kInvalidArgument, e.what());
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kInvalidArgument,
                  source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  if (Status s = ApplyEnvironment(env, config); !s.ok()) return s;
  return config;
}

Result<Config> LoadConfig(const std::string& path, const Environment& env) {
  std::string file = path;
  if (file.empty()) {
    auto it = env.find("HARVIS_CONFIG");
    if (it != env.end()) file = it->second;
  }
  if (file.empty()) return ParseConfig("", "<built-in defaults>", env);
  std::ifstream in(file);
  if (!in) return Status(ErrorCode::kInvalidArgument, file + ": cannot read the configuration file");
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), file, env);
}

int ModelConfig::ThreadsOr(int fallback) const {
  auto it = options.find("threads");
  if (it == options.end()) return fallback;
  const int n = std::atoi(it->second.c_str());
  return n > 0 ? n : fallback;
}

}  // namespace harvis
