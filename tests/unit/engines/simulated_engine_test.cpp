#include "engines/simulated/simulated_engine.h"

#include <gtest/gtest.h>

#include <chrono>

#include "engines/engine.h"

namespace harvis {
namespace {

ModelConfig SimModel(const std::string& name, ModelKind kind,
                     std::map<std::string, std::string> options = {}) {
  ModelConfig m;
  m.name = name;
  m.kind = kind;
  m.engine = "simulated";
  m.memory = 2 * kGiB;
  m.options = std::move(options);
  return m;
}

std::unique_ptr<Engine> Make(const ModelConfig& m) {
  auto engine = DefaultEngineRegistry().Create(m);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return std::move(engine).value();
}

TEST(EngineRegistryTest, KnowsSimulatedAndRejectsUnknown) {
  EngineRegistry registry = DefaultEngineRegistry();
  EXPECT_TRUE(registry.Has("simulated"));
  ModelConfig m = SimModel("x", ModelKind::kStt);
  m.engine = "nope";
  auto r = registry.Create(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
}

TEST(EngineRegistryTest, CustomConstructor) {
  EngineRegistry registry;
  registry.Register("fake", [](const ModelConfig& m) -> Result<std::unique_ptr<Engine>> {
    return std::unique_ptr<Engine>(new SimulatedEngine(m, SimulatedOptions{}));
  });
  ModelConfig m = SimModel("x", ModelKind::kTts);
  m.engine = "fake";
  EXPECT_TRUE(registry.Create(m).ok());
  EXPECT_EQ(registry.Names(), std::vector<std::string>{"fake"});
}

TEST(SimulatedOptionsTest, ParsesAndValidates) {
  auto ok = SimulatedOptions::Parse(
      SimModel("a", ModelKind::kLlm, {{"load_time", "200ms"}, {"infer_time", "1s"},
                                     {"fail_load", "0.3"}, {"seed", "7"}}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->load_time, Duration(200));
  EXPECT_EQ(ok->infer_time, Duration(1000));
  EXPECT_DOUBLE_EQ(ok->fail_probability, 0.3);
  EXPECT_EQ(ok->seed, 7u);
  EXPECT_EQ(ok->memory, 2 * kGiB);

  EXPECT_FALSE(SimulatedOptions::Parse(SimModel("b", ModelKind::kLlm, {{"fail_load", "2"}})).ok());
  EXPECT_FALSE(SimulatedOptions::Parse(SimModel("b", ModelKind::kLlm, {{"load_time", "x"}})).ok());
  auto always = SimulatedOptions::Parse(SimModel("c", ModelKind::kLlm, {{"fail_load", "true"}}));
  ASSERT_TRUE(always.ok());
  EXPECT_DOUBLE_EQ(always->fail_probability, 1.0);
}

TEST(SimulatedEngineTest, LoadFootprintUnload) {
  auto engine = Make(SimModel("stt", ModelKind::kStt));
  EXPECT_TRUE(engine->CanLoadFromMemory());
  EXPECT_EQ(engine->FootprintBytes(), 0u);
  ASSERT_TRUE(engine->Load(LoadRequest{}).ok());
  EXPECT_EQ(engine->FootprintBytes(), 2 * kGiB);
  auto blob = engine->ExportWeights();
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->accounted_bytes, 2 * kGiB);
  engine->Unload();
  EXPECT_EQ(engine->FootprintBytes(), 0u);

  LoadRequest from_ram;
  from_ram.weights = &*blob;
  ASSERT_TRUE(engine->Load(from_ram).ok());
  auto* sim = static_cast<SimulatedEngine*>(engine.get());
  EXPECT_EQ(sim->successful_loads(), 2);
  EXPECT_EQ(sim->loads_from_memory(), 1);
}

TEST(SimulatedOptionsTest, RamLoadTimeDefaultsToAFifthOfLoadTime) {
  auto d = SimulatedOptions::Parse(SimModel("a", ModelKind::kLlm, {{"load_time", "1s"}}));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->ram_load_time.has_value());
  EXPECT_EQ(d->RamLoadTime(), Duration(200));
  auto e = SimulatedOptions::Parse(
      SimModel("b", ModelKind::kLlm, {{"load_time", "1s"}, {"ram_load_time", "70ms"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->RamLoadTime(), Duration(70));
  auto bad = SimulatedOptions::Parse(SimModel("c", ModelKind::kLlm, {{"ram_load_time", "soon"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ram_load_time"), std::string::npos);
}

TEST(SimulatedEngineTest, LoadFromRamTakesRamLoadTime) {
  using Ms = std::chrono::milliseconds;
  auto timed = [](Engine& engine, const LoadRequest& request) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(engine.Load(request).ok());
    return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - start);
  };
  auto engine = Make(SimModel("llm", ModelKind::kLlm, {{"load_time", "600ms"}}));
  ASSERT_TRUE(engine->CanLoadFromMemory());
  EXPECT_GE(timed(*engine, LoadRequest{}), Ms(600));  // from disk
  auto blob = engine->ExportWeights();
  ASSERT_TRUE(blob.has_value());
  engine->Unload();
  LoadRequest from_ram;
  from_ram.weights = &*blob;
  const Ms ram = timed(*engine, from_ram);  // default: 600ms / 5
  EXPECT_GE(ram, Ms(120));
  EXPECT_LT(ram, Ms(600));
  EXPECT_EQ(static_cast<SimulatedEngine*>(engine.get())->loads_from_memory(), 1);

  // An engine that cannot load from memory exports nothing and ignores RAM weights.
  auto disk_only = Make(SimModel("disk", ModelKind::kLlm,
                                 {{"load_time", "300ms"}, {"from_memory", "false"}}));
  EXPECT_FALSE(disk_only->CanLoadFromMemory());
  EXPECT_GE(timed(*disk_only, from_ram), Ms(300));
  EXPECT_FALSE(disk_only->ExportWeights().has_value());
  EXPECT_EQ(static_cast<SimulatedEngine*>(disk_only.get())->loads_from_memory(), 0);
}

TEST(SimulatedEngineTest, ReadWeightsAccountsTheDeclaredMemoryWithoutLoading) {
  auto e = Make(SimModel("m", ModelKind::kLlm));
  auto blob = e->ReadWeights();
  ASSERT_TRUE(blob.ok()) << blob.status().message();
  EXPECT_EQ(blob->accounted_bytes, 2 * kGiB);
  EXPECT_EQ(e->FootprintBytes(), 0u);  // nothing was loaded
  auto no_ram = Make(SimModel("n", ModelKind::kLlm, {{"from_memory", "false"}}));
  EXPECT_FALSE(no_ram->ReadWeights().ok());
}

TEST(SimulatedEngineTest, FailLoadTrueAlwaysFails) {
  auto engine = Make(SimModel("bad", ModelKind::kStt, {{"fail_load", "true"}}));
  Status st = engine->Load(LoadRequest{});
  EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(engine->FootprintBytes(), 0u);
}

TEST(SimulatedEngineTest, FailureDrawsAreDeterministicPerSeed) {
  auto draw = [](const std::string& seed) {
    auto engine = Make(SimModel("m", ModelKind::kStt, {{"fail_load", "0.5"}, {"seed", seed}}));
    std::string pattern;
    for (int i = 0; i < 32; ++i) pattern += engine->Load(LoadRequest{}).ok() ? '1' : '0';
    return pattern;
  };
  EXPECT_EQ(draw("42"), draw("42"));
  EXPECT_NE(draw("42"), draw("43"));
}

TEST(SimulatedEngineTest, PlaceholderOutputs) {
  auto stt = Make(SimModel("stt", ModelKind::kStt));
  EXPECT_FALSE(stt->Transcribe(std::vector<float>(10), {}).ok());  // not loaded
  ASSERT_TRUE(stt->Load(LoadRequest{}).ok());
  auto t = stt->Transcribe(std::vector<float>(16000), {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->text, "simulated transcript of 16000 samples");
  EXPECT_DOUBLE_EQ(t->duration_s, 1.0);
  ASSERT_EQ(t->segments.size(), 1u);

  auto tts = Make(SimModel("tts", ModelKind::kTts));
  ASSERT_TRUE(tts->Load(LoadRequest{}).ok());
  SynthesizeOptions so;
  so.sample_rate = 16000;
  auto audio = tts->Synthesize("hello there world", so);
  ASSERT_TRUE(audio.ok());
  EXPECT_EQ(audio->sample_rate, 16000);
  EXPECT_EQ(audio->pcm.size(), 4800u);  // 3 words x 100 ms
}

TEST(SimulatedEngineTest, ChatStreamsWordsAndCancels) {
  auto llm = Make(SimModel("llm", ModelKind::kLlm));
  ASSERT_TRUE(llm->Load(LoadRequest{}).ok());
  std::vector<ChatMessage> messages{{"user", "how are you"}};
  std::string streamed;
  auto r = llm->Chat(messages, {}, [&](std::string_view tok) {
    streamed += tok;
    return true;
  }, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text, "This is a simulated answer to: how are you");
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->finish_reason, "stop");

  CancellationToken cancel;
  int seen = 0;
  auto c = llm->Chat(messages, {}, [&](std::string_view) {
    if (++seen == 2) cancel.Cancel();
    return true;
  }, &cancel);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tokens, 2);
  EXPECT_EQ(c->finish_reason, "cancelled");

  ChatOptions limited;
  limited.max_tokens = 3;
  auto l = llm->Chat(messages, limited, nullptr, nullptr);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->tokens, 3);
  EXPECT_EQ(l->finish_reason, "length");
}

TEST(SimulatedEngineTest, WrongKindCallIsRejectedByDefaultInterface) {
  // The simulated engine implements every call; a minimal engine gets the defaults.
  struct Minimal : Engine {
    std::string_view engine_name() const override { return "minimal"; }
    ModelKind kind() const override { return ModelKind::kStt; }
    Status Load(const LoadRequest&) override { return Status::Ok(); }
    std::uint64_t FootprintBytes() const override { return 0; }
    void Unload() override {}
  } minimal;
  auto r = minimal.Chat({}, {}, nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(minimal.ExportWeights().has_value());
}

}  // namespace
}  // namespace harvis
