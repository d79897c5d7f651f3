// Black-box tests of the in-process LLM (engine llama, issue 11): a random-weight GGUF in
// the models folder, no configuration file, and the real binary answers chats and whole
// voice turns (pocketsphinx -> llama -> espeak) without any Ollama.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

using nlohmann::json;

#ifdef MAKE_LLAMA_MODEL

class LlamaModelsFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    models_ = MakeTempDir("harvis_llama_models");
    std::string out;
    // A trained context of 256 tokens bounds the random answers (they rarely reach an end token).
    ASSERT_EQ(RunCommand(std::string(MAKE_LLAMA_MODEL) + " " + (models_ / "tiny-chat.gguf").string() + " --ctx 256", &out),
              0) << out;
    // Not a model: ignored, as is a file that only has the extension.
    RunCommand("echo hello > " + (models_ / "notes.txt").string() + "; echo junk > " +
                   (models_ / "broken.gguf").string(), &out);
    HarvisProcess::Options options;
    // The folder, and no Ollama: an unreachable address, so that nothing answers there.
    options.env = {{"HARVIS_MODELS_DIR", models_.string()}, {"OLLAMA_CLOUD_URL", "http://127.0.0.1:9"}};
    harvis_ = std::make_unique<HarvisProcess>(options);
  }

  std::filesystem::path models_;
  std::unique_ptr<HarvisProcess> harvis_;
};

json Chat(const std::string& model, int max_tokens) {
  return {{"model", model}, {"temperature", 0}, {"max_tokens", max_tokens},
          {"messages", json::array({{{"role", "user"}, {"content", "Say something"}}})}};
}

TEST_F(LlamaModelsFolder, RegistersTheGgufAndMakesItTheDefaultLlm) {
  ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  const json models = GetJson(*harvis_, "/v1/models");
  std::map<std::string, std::string> engines;
  for (const auto& m : models["data"]) engines[m["id"]] = m.value("engine", "");
  EXPECT_EQ(engines["tiny-chat"], "llama") << models.dump();
  EXPECT_EQ(engines.count("broken"), 0u);
  EXPECT_EQ(engines.count("llama3.2:3b"), 0u) << "the built-in Ollama LLM is replaced";
}

TEST_F(LlamaModelsFolder, AnswersChatCompletionsInProcess) {
  ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  auto res = harvis_->Client().Post("/v1/chat/completions", Chat("tiny-chat", 8).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  EXPECT_FALSE(body["choices"][0]["message"]["content"].get<std::string>().empty()) << res->body;
  EXPECT_LE(body["usage"]["completion_tokens"].get<int>(), 8);
  EXPECT_EQ(Resident(*harvis_).count("tiny-chat"), 1u);

  // The same request again: greedy decoding gives the same answer.
  auto again = harvis_->Client().Post("/v1/chat/completions", Chat("tiny-chat", 8).dump(), "application/json");
  ASSERT_TRUE(again && again->status == 200);
  EXPECT_EQ(json::parse(again->body)["choices"][0]["message"]["content"], body["choices"][0]["message"]["content"]);

  // Streaming: chunks, then [DONE].
  json stream = Chat("tiny-chat", 6);
  stream["stream"] = true;
  auto sse = harvis_->Client().Post("/v1/chat/completions", stream.dump(), "application/json");
  ASSERT_TRUE(sse && sse->status == 200);
  EXPECT_NE(sse->body.find("chat.completion.chunk"), std::string::npos);
  EXPECT_NE(sse->body.find("data: [DONE]"), std::string::npos);
}

TEST_F(LlamaModelsFolder, ClientMistakesAreClientErrors) {
  ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  auto unknown = harvis_->Client().Post("/v1/chat/completions", Chat("broken", 4).dump(), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  json wrong = Chat("tiny-chat", 4);
  wrong["max_tokens"] = "four";
  auto bad = harvis_->Client().Post("/v1/chat/completions", wrong.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  json huge = Chat("tiny-chat", 4);
  std::string words;
  for (int i = 0; i < 400; ++i) words += "word ";
  huge["messages"][0]["content"] = words;  // more tokens than the 256-token context
  auto too_long = harvis_->Client().Post("/v1/chat/completions", huge.dump(), "application/json");
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 400) << too_long->body;
}

TEST_F(LlamaModelsFolder, RunsAWholeVoiceTurnWithOneBinary) {
  ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  const std::string wav = SpeechWav(*harvis_, kSpokenText);
  ASSERT_FALSE(wav.empty());
  auto res = harvis_->Client().Post("/api/voice", Upload(wav));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto events = ParseSse(res->body);
  ASSERT_FALSE(events.empty()) << res->body;
  EXPECT_EQ(events.front().event, "transcript");
  EXPECT_EQ(events.back().event, "done") << events.back().data.dump();
  bool audio = false;
  for (const auto& e : events) {
    EXPECT_NE(e.event, "error") << e.data.dump();
    audio = audio || e.event == "audio";
  }
  EXPECT_TRUE(audio) << res->body;
}

#else

TEST(LlamaModelsFolder, NeedsTheLlamaEngine) { GTEST_SKIP() << "built with HARVIS_WITH_LLAMA=OFF"; }

#endif

}  // namespace
}  // namespace harvis::testing
