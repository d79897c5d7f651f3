#include "core/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace harvis {
namespace {

Result<Config> Parse(const std::string& yaml, const Environment& env = {}) {
  return ParseConfig(yaml, "harvis.yaml", env);
}

// Expects a failure whose message names the file, the line and the field.
void ExpectError(const std::string& yaml, const std::string& location, const std::string& field) {
  auto r = Parse(yaml);
  ASSERT_FALSE(r.ok()) << yaml;
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("harvis.yaml:" + location + ":"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
}

TEST(Config, EmptyConfigurationGivesSpecDefaults) {
  auto r = Parse("");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = *r;
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 8000);
  EXPECT_EQ(c.server.max_body, 64 * kMiB);
  EXPECT_EQ(c.server.request_timeout, std::chrono::seconds(300));
  EXPECT_EQ(c.ollama.url, "http://localhost:11434");
  EXPECT_TRUE(c.ollama.manage_residency);
  EXPECT_EQ(c.budgets.gpu_memory, 24 * kGiB);
  EXPECT_DOUBLE_EQ(c.budgets.ram_fraction, 0.8);
  EXPECT_EQ(c.defaults.stt, "pocketsphinx");
  EXPECT_EQ(c.defaults.tts, "espeak");
  EXPECT_EQ(c.defaults.llm, "llama3.2:3b");
  EXPECT_EQ(c.scheduler.policy, "cost");
  EXPECT_EQ(c.scheduler.queue_size, 256);
  EXPECT_TRUE(c.devices_auto);
  // Built-in models: what needs no download.
  ASSERT_EQ(c.models.size(), 4u);
  EXPECT_EQ(c.models[0].name, "pocketsphinx");
  EXPECT_EQ(c.models[1].engine, "espeak");
  EXPECT_EQ(c.models[2].engine, "flite");
  EXPECT_EQ(c.models[3].name, "llama3.2:3b");
  EXPECT_EQ(c.models[3].engine, "ollama");
  EXPECT_TRUE(Parse("models: []\n")->models.empty());
  EXPECT_EQ(Parse("defaults: {llm: \"qwen2.5:7b\"}\n")->models[3].name, "qwen2.5:7b");
  EXPECT_TRUE(c.server.api_keys.empty());
}

TEST(Config, FullSpecExampleParses) {
  auto r = Parse(R"(
server:   { host: 127.0.0.1, port: 9000, max_body: 16MiB, request_timeout: 60s, drain_timeout: 5s }
ollama:   { url: http://ollama:11434, manage_residency: false, device: gpu0 }
budgets:  { gpu_memory: 20GiB, ram_fraction: 0.5, cpu_fraction: 0.75 }
defaults: { stt: whisper-base, tts: espeak, llm: "llama3.2:3b" }
scheduler: { policy: lru, queue_size: 8, queue_timeout: 2s }
devices: [ { id: gpu0, kind: gpu, memory: 24GiB, simulated: true } ]
models:
  - name: whisper-base
    kind: stt
    engine: whisper
    path: /models/ggml-base.en.bin
    device: gpu0
    keep_alive: -1
    pinned: true
    preload: true
    group: audio
    priority: realtime
    parallel: 2
    memory: 600MiB
  - name: sim-llm
    kind: llm
    engine: simulated
    keep_alive: 0
    options: { load_time: 200ms, infer_time: 1s, fail_load: 0.25 }
)");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = *r;
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.server.drain_timeout, std::chrono::seconds(5));
  EXPECT_FALSE(c.ollama.manage_residency);
  EXPECT_EQ(c.scheduler.policy, "lru");
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_TRUE(c.devices[0].simulated);
  EXPECT_EQ(c.devices[0].memory, 24 * kGiB);
  ASSERT_EQ(c.models.size(), 2u);
  const ModelConfig& w = c.models[0];
  EXPECT_EQ(w.kind, ModelKind::kStt);
  EXPECT_EQ(w.keep_alive, kForever);
  EXPECT_TRUE(w.pinned);
  EXPECT_EQ(w.priority, Priority::kRealtime);
  EXPECT_EQ(w.parallel, 2);
  EXPECT_EQ(w.memory, 600 * kMiB);
  EXPECT_EQ(c.models[1].keep_alive, std::chrono::milliseconds(0));
  EXPECT_EQ(c.models[1].options.at("fail_load"), "0.25");
}

TEST(Config, BadYamlNamesFileAndLine) {
  auto r = Parse("server:\n  port: [1, 2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("harvis.yaml:"), std::string::npos);
  EXPECT_NE(r.status().message().find("invalid YAML"), std::string::npos);
}

TEST(Config, UnknownFieldIsRejected) {
  ExpectError("server:\n  prot: 80\n", "2", "server.prot");
  ExpectError("colour: blue\n", "1", "colour");
  ExpectError("models:\n  - name: a\n    kind: stt\n    engine: whisper\n    gpu: yes\n", "5",
              "models[0].gpu");
}

TEST(Config, WrongTypesAreRejected) {
  ExpectError("server:\n  port: eighty\n", "2", "server.port");
  ExpectError("server:\n  port: 70000\n", "2", "server.port");
  ExpectError("ollama:\n  manage_residency: maybe\n", "2", "ollama.manage_residency");
  ExpectError("server:\n  host: [a, b]\n", "2", "server.host");
  ExpectError("models: {name: a}\n", "1", "models");
  ExpectError("budgets:\n  ram_fraction: 1.5\n", "2", "budgets.ram_fraction");
  ExpectError("scheduler:\n  policy: fifo\n", "2", "scheduler.policy");
}

TEST(Config, BadSizesAndDurationsAreRejected) {
  ExpectError("budgets:\n  gpu_memory: 24XB\n", "2", "budgets.gpu_memory");
  ExpectError("budgets:\n  gpu_memory: -1\n", "2", "budgets.gpu_memory");
  ExpectError("server:\n  request_timeout: 5minutes\n", "2", "server.request_timeout");
  ExpectError("server:\n  request_timeout: -1\n", "2", "server.request_timeout");
  ExpectError("models:\n  - {name: a, kind: stt, engine: whisper, keep_alive: soon}\n", "2",
              "models[0].keep_alive");
  ExpectError("models:\n  - {name: a, kind: llm, engine: simulated, options: {load_time: fast}}\n",
              "2", "models[0].options.load_time");
  ExpectError("models:\n  - {name: a, kind: llm, engine: simulated, options: {fail_load: 2}}\n", "2",
              "models[0].options.fail_load");
}

TEST(Config, AudioStoreSizeAndTtl) {
  auto c = Parse("audio_store:\n  max_bytes: 1MiB\n  ttl: 90s\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->audio_store.max_bytes, 1ull << 20);
  EXPECT_EQ(c->audio_store.ttl, std::chrono::seconds(90));
  EXPECT_EQ(Parse("")->audio_store.max_bytes, 256ull << 20);
  ExpectError("audio_store:\n  max_bytes: 0\n", "2", "audio_store.max_bytes");
  ExpectError("audio_store:\n  ttl: later\n", "2", "audio_store.ttl");
  ExpectError("audio_store:\n  ttl: 500ms\n", "2", "audio_store.ttl");
  ExpectError("audio_store:\n  path: /tmp\n", "2", "audio_store");
}

TEST(Config, ComputeConcurrencyAndPrefetch) {
  auto c = Parse(
      "scheduler:\n  gpu_concurrency: 3\n  prefetch: false\n"
      "devices:\n  - { id: gpu0, kind: gpu, memory: 24GiB, simulated: true, concurrency: 2 }\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scheduler.gpu_concurrency, 3);
  EXPECT_FALSE(c->scheduler.prefetch);
  EXPECT_EQ(c->devices.at(0).concurrency, 2);
  EXPECT_EQ(Parse("")->scheduler.gpu_concurrency, 8);
  EXPECT_TRUE(Parse("")->scheduler.prefetch);
  ExpectError("scheduler:\n  gpu_concurrency: 0\n", "2", "scheduler.gpu_concurrency");
  ExpectError("scheduler:\n  prefetch: maybe\n", "2", "scheduler.prefetch");
  ExpectError("devices:\n  - { id: cpu, kind: cpu, concurrency: 4 }\n", "2", "devices[0].concurrency");
}

TEST(Config, ModelRulesAreChecked) {
  ExpectError("models:\n  - {kind: stt, engine: whisper}\n", "2", "models[0].name");
  ExpectError("models:\n  - {name: a, kind: video, engine: whisper}\n", "2", "models[0].kind");
  ExpectError("models:\n  - {name: a, kind: stt, engine: magic}\n", "2", "models[0].engine");
  ExpectError("models:\n  - {name: a, kind: stt, engine: whisper}\n  - {name: a, kind: stt, engine: whisper}\n",
              "3", "duplicate model name");
  ExpectError("devices: [ {id: gpu0, memory: 1GiB, simulated: true} ]\n"
              "models:\n  - {name: a, kind: stt, engine: whisper, device: gpu7}\n",
              "3", "models[0].device");
  ExpectError("devices: [ {id: gpu0, simulated: true} ]\n", "1", "devices[0].memory");
}

TEST(Config, EnvironmentOverridesTheFile) {
  Environment env = {{"OLLAMA_CLOUD_URL", "http://ollama:11434"}, {"HARVIS_HOST", "127.0.0.1"},
                     {"HARVIS_PORT", "8123"}, {"HARVIS_API_KEYS", "k1, k2,,"},
                     {"HARVIS_STATE_DIR", "/tmp/state"}, {"HARVIS_MODELS_DIR", "/tmp/models"}};
  auto r = Parse("server: {port: 9000}\n", env);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->ollama.url, "http://ollama:11434");
  EXPECT_EQ(r->server.host, "127.0.0.1");
  EXPECT_EQ(r->server.port, 8123);
  EXPECT_EQ(r->server.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(r->state_dir, "/tmp/state");
  EXPECT_EQ(r->models_dir, "/tmp/models");
}

TEST(Config, BadEnvironmentValueIsNamed) {
  auto r = Parse("", {{"HARVIS_PORT", "http"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HARVIS_PORT"), std::string::npos);
}

TEST(Config, LoadConfigReadsTheFileOrHarvisConfig) {
  auto dir = std::filesystem::temp_directory_path() / "harvis-config-test";
  std::filesystem::create_directories(dir);
  auto file = (dir / "h.yaml").string();
  std::ofstream(file) << "server: {port: 7001}\n";
  auto direct = LoadConfig(file, {});
  ASSERT_TRUE(direct.ok()) << direct.status().message();
  EXPECT_EQ(direct->server.port, 7001);
  EXPECT_EQ(direct->source, file);
  auto from_env = LoadConfig("", {{"HARVIS_CONFIG", file}});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->server.port, 7001);
  auto missing = LoadConfig((dir / "nope.yaml").string(), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.yaml"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Config, ThreadsOptionOrTheFallback) {
  ModelConfig m;
  EXPECT_EQ(m.ThreadsOr(4), 4);
  m.options["threads"] = "3";
  EXPECT_EQ(m.ThreadsOr(4), 3);
  for (const char* bad : {"0", "-2", "many"}) {
    m.options["threads"] = bad;
    EXPECT_EQ(m.ThreadsOr(4), 4) << bad;
  }
}

}  // namespace
}  // namespace harvis
