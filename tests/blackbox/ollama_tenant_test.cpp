// Black-box test of Ollama as a tenant of the GPU ledger (SPEC §4, issue 4): the real
// harvis binary with the Ollama stand-in on loopback, sharing one simulated 10 GiB GPU.
// Needs OLLAMA_STANDIN (the stand-in binary's path) among the compile definitions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The stand-in as a child process on a free loopback port.
class Standin {
 public:
  explicit Standin(const std::string& models) {
#ifdef OLLAMA_STANDIN
    int fds[2];
    if (pipe(fds) != 0) return;
    const std::string binary = OLLAMA_STANDIN;
    std::vector<std::string> args = {binary, "--port", "0", "--models", models,
                                     "--tokens-per-second", "500"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    const std::string prefix = "listening on 127.0.0.1:";
    if (line.rfind(prefix, 0) == 0) port_ = std::atoi(line.c_str() + prefix.size());
#else
    (void)models;
#endif
  }
  ~Standin() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0 && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Client Client() const { return httplib::Client("127.0.0.1", port_); }
  // Names of the models the stand-in holds (its /api/ps).
  std::vector<std::string> Loaded() const {
    std::vector<std::string> out;
    auto res = Client().Get("/api/ps");
    if (!res) return out;
    const json ps = json::parse(res->body, nullptr, false);
    if (ps.is_discarded()) return out;
    for (const auto& m : ps["models"]) out.push_back(m["name"]);
    return out;
  }
  bool Holds(const std::string& name) const {
    for (const auto& n : Loaded()) {
      if (n == name || n == name + ":latest") return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

json Get(const HarvisProcess& h, const std::string& path) {
  auto res = h.Client().Get(path);
  return res ? json::parse(res->body, nullptr, false) : json();
}

std::map<std::string, json> Resident(const HarvisProcess& h) {
  std::map<std::string, json> out;
  const json ps = Get(h, "/api/ps");
  if (ps.is_object() && ps.contains("models")) {
    for (const auto& m : ps["models"]) out[m["name"]] = m;
  }
  return out;
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds limit = 15s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (predicate()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return predicate();
}

// One second of a 440 Hz tone as a 16 kHz mono 16-bit WAV.
std::string ToneWav() {
  const int rate = 16000, n = rate;
  std::string out;
  auto put32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i)); };
  auto put16 = [&](std::uint16_t v) { for (int i = 0; i < 2; ++i) out += static_cast<char>(v >> (8 * i)); };
  out += "RIFF";
  put32(36 + n * 2);
  out += "WAVEfmt ";
  put32(16);
  put16(1);
  put16(1);
  put32(rate);
  put32(rate * 2);
  put16(2);
  put16(16);
  out += "data";
  put32(n * 2);
  for (int i = 0; i < n; ++i) {
    put16(static_cast<std::uint16_t>(static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * 440 * i / rate))));
  }
  return out;
}

std::string Config(const std::string& ollama_url) {
  return "ollama: { url: " + ollama_url + ", device: gpu0 }\n"
         "devices: [ { id: gpu0, kind: gpu, memory: 10GiB, simulated: true } ]\n"
         "scheduler: { queue_timeout: 20s }\n"
         "models:\n"
         "  - { name: whisper-large, kind: stt, engine: simulated, memory: 6GiB, device: gpu0 }\n";
}

TEST(OllamaTenantTest, WhisperModelEvictsTheOllamaModelOnASharedGpu) {
#ifndef OLLAMA_STANDIN
  GTEST_SKIP() << "OLLAMA_STANDIN is not defined";
#endif
  Standin ollama("big:7b=5GiB,other:1b=1GiB");
  ASSERT_TRUE(ollama.running());
  HarvisProcess harvis(HarvisProcess::Options{Config(ollama.url()), {}, {}});
  ASSERT_TRUE(harvis.running());

  // Discovered in /api/tags: a registered LLM without configuration.
  const json chat = {{"model", "big:7b"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  auto res = harvis.Client().Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body << harvis.Log();
  EXPECT_TRUE(ollama.Holds("big:7b"));
  auto resident = Resident(harvis);
  ASSERT_TRUE(resident.count("big:7b")) << Get(harvis, "/api/ps").dump();
  EXPECT_EQ(resident["big:7b"]["device"], "gpu0");

  // The 6 GiB STT model does not fit next to it in 10 GiB: Ollama's model must go.
  httplib::MultipartFormDataItems form = {{"file", ToneWav(), "tone.wav", "audio/wav"},
                                          {"model", "whisper-large", "", ""}};
  res = harvis.Client().Post("/v1/audio/transcriptions", form);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body << harvis.Log();
  EXPECT_FALSE(ollama.Holds("big:7b"));
  resident = Resident(harvis);
  EXPECT_TRUE(resident.count("whisper-large"));
  EXPECT_FALSE(resident.count("big:7b"));
  std::uint64_t reserved = 0;
  for (const auto& [name, m] : resident) {
    if (m["device"] == "gpu0") reserved += m["bytes"].get<std::uint64_t>();
  }
  EXPECT_LE(reserved, 10ull << 30);
  const json resources = Get(harvis, "/api/resources");
  EXPECT_NE(harvis.Log().find("whisper-large"), std::string::npos);
  (void)resources;
}

TEST(OllamaTenantTest, AModelLoadedDirectlyInOllamaIsAdopted) {
#ifndef OLLAMA_STANDIN
  GTEST_SKIP() << "OLLAMA_STANDIN is not defined";
#endif
  Standin ollama("big:7b=5GiB,other:1b=1GiB");
  ASSERT_TRUE(ollama.running());
  HarvisProcess harvis(HarvisProcess::Options{Config(ollama.url()), {}, {}});
  ASSERT_TRUE(harvis.running());
  EXPECT_FALSE(Resident(harvis).count("other:1b"));

  // Someone else loads it in Ollama (an empty prompt).
  const json load = {{"model", "other:1b"}, {"prompt", ""}};
  auto res = ollama.Client().Post("/api/generate", load.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(ollama.Holds("other:1b"));

  // The next reconciliation (every few seconds) puts it in the ledger.
  ASSERT_TRUE(WaitFor([&] { return Resident(harvis).count("other:1b") > 0; }))
      << Get(harvis, "/api/ps").dump();
  const json m = Resident(harvis)["other:1b"];
  EXPECT_EQ(m["state"], "ready");
  EXPECT_EQ(m["device"], "gpu0");
  EXPECT_GT(m["bytes"].get<std::uint64_t>(), 0u);
  // With the routes_admin.cpp change ({"tenant", m.tenant}) this is "ollama".
  if (m.contains("tenant") && m["tenant"] != "harvis") {
    EXPECT_EQ(m["tenant"], "ollama");
  }
}

}  // namespace
}  // namespace harvis::testing

namespace harvis::testing {
namespace {

// Ollama answering "out of memory" makes Harvis free its own idle models on the shared
// GPU and retry once (SPEC §4 "Ollama as a tenant").
TEST(OllamaTenantTest, AnOutOfMemoryAnswerFreesOurModelsAndRetriesOnce) {
#ifndef OLLAMA_STANDIN
  GTEST_SKIP() << "OLLAMA_STANDIN is not defined";
#endif
  Standin ollama("big:7b=5GiB,other:1b=1GiB");
  ASSERT_TRUE(ollama.running());
  HarvisProcess harvis(HarvisProcess::Options{Config(ollama.url()), {}, {}});
  ASSERT_TRUE(harvis.running());

  // Our STT model is resident and idle on gpu0; 6 + 1 GiB fit the ledger's 10 GiB.
  httplib::MultipartFormDataItems form = {{"file", ToneWav(), "tone.wav", "audio/wav"},
                                          {"model", "whisper-large", "", ""}};
  auto res = harvis.Client().Post("/v1/audio/transcriptions", form);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(Resident(harvis).count("whisper-large"));

  // Ollama's next answer is an out-of-memory error (as when other processes use the GPU).
  auto fault = ollama.Client().Post("/__standin/fault", R"({"mode": "oom", "count": 1})", "application/json");
  ASSERT_TRUE(fault);
  ASSERT_EQ(fault->status, 200) << fault->body;

  const json chat = {{"model", "other:1b"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  res = harvis.Client().Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body << harvis.Log();
  EXPECT_FALSE(Resident(harvis).count("whisper-large")) << Get(harvis, "/api/ps").dump();
  EXPECT_TRUE(ollama.Holds("other:1b"));
}

}  // namespace
}  // namespace harvis::testing
