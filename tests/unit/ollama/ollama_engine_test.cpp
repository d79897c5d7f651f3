// `engine: ollama` through the Engine interface, against the Ollama stand-in.
#include "engines/llm/ollama/ollama_engine.h"

#include <gtest/gtest.h>

#include "standin_process.h"

namespace harvis {
namespace {

using testing::StandinProcess;

class OllamaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(standin_.running()) << "the stand-in did not start";
    ollama_.url = standin_.url();
    RegisterOllamaEngine(registry_, ollama_);
  }

  static ModelConfig Model(const std::string& name, std::map<std::string, std::string> options = {}) {
    ModelConfig m;
    m.name = name;
    m.kind = ModelKind::kLlm;
    m.engine = "ollama";
    m.options = std::move(options);
    return m;
  }

  std::unique_ptr<Engine> Make(const ModelConfig& m) {
    auto engine = registry_.Create(m);
    EXPECT_TRUE(engine.ok()) << engine.status().message();
    return engine.ok() ? std::move(engine).value() : nullptr;
  }

  std::vector<OllamaRunningModel> Running() {
    OllamaClientOptions o;
    o.url = standin_.url();
    auto ps = OllamaClient(o).ListRunning();
    EXPECT_TRUE(ps.ok()) << ps.status().message();
    return ps.ok() ? *ps : std::vector<OllamaRunningModel>{};
  }

  StandinProcess standin_;
  OllamaConfig ollama_;
  EngineRegistry registry_;
};

TEST_F(OllamaEngineTest, RegistryValidatesKindAndOptions) {
  EXPECT_TRUE(registry_.Has("ollama"));
  ModelConfig stt = Model("x");
  stt.kind = ModelKind::kStt;
  EXPECT_EQ(registry_.Create(stt).status().code(), ErrorCode::kInvalidArgument);
  auto bad = registry_.Create(Model("x", {{"idle_timeout", "soon"}}));
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("idle_timeout"), std::string::npos);
  auto engine = Make(Model("alias", {{"model", "llama3.2:3b"}}));
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->engine_name(), "ollama");
  EXPECT_EQ(engine->kind(), ModelKind::kLlm);
  EXPECT_FALSE(engine->CanLoadFromMemory());
  EXPECT_EQ(static_cast<OllamaEngine&>(*engine).ollama_model(), "llama3.2:3b");
}

TEST_F(OllamaEngineTest, LoadMeasuresFootprintAndUnloadConfirms) {
  ModelConfig m = Model("qwen2.5:7b");
  m.keep_alive = kForever;
  auto engine = Make(m);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->FootprintBytes(), 0u);
  ASSERT_TRUE(engine->Load(LoadRequest{}).ok());
  EXPECT_EQ(engine->FootprintBytes(), 5 * kGiB);
  EXPECT_EQ(standin_.LastRequest()["body"]["keep_alive"], -1);
  ASSERT_EQ(Running().size(), 1u);
  engine->Unload();
  EXPECT_EQ(engine->FootprintBytes(), 0u);
  EXPECT_TRUE(Running().empty());
  engine->Unload();  // idempotent
}

TEST_F(OllamaEngineTest, KeepAliveZeroIsLeftToTheScheduler) {
  ModelConfig m = Model("llama3.2:3b");
  m.keep_alive = Duration(0);
  auto engine = Make(m);
  ASSERT_TRUE(engine->Load(LoadRequest{}).ok());
  EXPECT_EQ(engine->FootprintBytes(), 2 * kGiB);
  EXPECT_EQ(standin_.LastRequest()["body"]["keep_alive"], -1);
  EXPECT_EQ(Running().size(), 1u);
}

TEST_F(OllamaEngineTest, ChatStreamsTokensWithTheModelsKeepAlive) {
  ModelConfig m = Model("llama3.2:3b");
  m.keep_alive = std::chrono::minutes(2);
  auto engine = Make(m);
  ASSERT_TRUE(engine->Load(LoadRequest{}).ok());
  std::string streamed;
  ChatOptions options;
  options.max_tokens = 5;
  auto result = engine->Chat({{"user", "hi"}}, options, [&](std::string_view t) {
    streamed += t;
    return true;
  }, nullptr);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->text, streamed);
  EXPECT_EQ(result->tokens, 5);
  EXPECT_EQ(result->finish_reason, "length");
  EXPECT_EQ(standin_.LastRequest()["body"]["keep_alive"], 120);
}

TEST_F(OllamaEngineTest, NonStreamingOptionAndCancellation) {
  auto whole = Make(Model("llama3.2:3b", {{"stream", "false"}}));
  auto result = whole->Chat({{"user", "hi"}}, ChatOptions{}, nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->finish_reason, "stop");
  EXPECT_EQ(standin_.LastRequest()["body"]["stream"], false);

  auto streaming = Make(Model("llama3.2:3b"));
  auto cancelled = streaming->Chat({{"user", "hi"}}, ChatOptions{},
                                   [](std::string_view) { return false; }, nullptr);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->finish_reason, "cancelled");
  EXPECT_EQ(cancelled->tokens, 1);
}

TEST_F(OllamaEngineTest, OutOfMemoryIsResourceExhausted) {
  auto engine = Make(Model("llama3.2:3b"));
  ASSERT_TRUE(standin_.SetFault("oom", 1));
  auto result = engine->Chat({{"user", "hi"}}, ChatOptions{}, nullptr, nullptr);
  EXPECT_EQ(result.status().code(), ErrorCode::kResourceExhausted);
  // The scheduler's single retry after freeing memory succeeds.
  EXPECT_TRUE(engine->Chat({{"user", "hi"}}, ChatOptions{}, nullptr, nullptr).ok());
}

TEST_F(OllamaEngineTest, FailuresAreStatuses) {
  auto unknown = Make(Model("nope:1b"));
  EXPECT_EQ(unknown->Load(LoadRequest{}).code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown->FootprintBytes(), 0u);
  auto down = Make(Model("llama3.2:3b", {{"url", "http://127.0.0.1:" +
                                                     std::to_string(testing::ClosedLoopbackPort())}}));
  EXPECT_EQ(down->Load(LoadRequest{}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(down->Chat({{"user", "hi"}}, ChatOptions{}, nullptr, nullptr).status().code(),
            ErrorCode::kUnavailable);
  down->Unload();  // logs, never throws
}

}  // namespace
}  // namespace harvis
