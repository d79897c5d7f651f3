// The llama.cpp engine on random-weight GGUF models generated at run time (the answers are
// random text, but deterministic for greedy decoding and for a given seed).
#include "engines/llm/llama/llama_engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "llama_model_generator.h"

namespace harvis {
namespace {

namespace fs = std::filesystem;

class LlamaEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("harvis_llama_test_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    testing::LlamaModelSpec spec;
    spec.vocab_path = HARVIS_LLAMA_TEST_VOCAB;
    std::string error;
    ASSERT_TRUE(testing::WriteRandomLlamaModel(spec, Path(), &error)) << error;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string Path() { return (*dir_ / "tiny.gguf").string(); }

  static ModelConfig Config(int parallel = 1, std::map<std::string, std::string> options = {}) {
    ModelConfig m;
    m.name = "tiny";
    m.kind = ModelKind::kLlm;
    m.engine = "llama";
    m.path = Path();
    m.parallel = parallel;
    m.options = std::move(options);
    return m;
  }

  // Load() from weights the RAM tier holds.
  static Status LoadFromRam(Engine& engine, const WeightBlob& weights) {
    LoadRequest load;
    load.weights = &weights;
    return engine.Load(load);
  }

  static std::unique_ptr<Engine> Loaded(const ModelConfig& model) {
    auto engine = DefaultEngineRegistry().Create(model);
    EXPECT_TRUE(engine.ok()) << engine.status().message();
    LoadRequest load;
    load.path = model.path;
    Status st = (*engine)->Load(load);
    EXPECT_TRUE(st.ok()) << st.message();
    return std::move(*engine);
  }

  static ChatOptions Greedy(int max_tokens) {
    ChatOptions o;
    o.temperature = 0;
    o.max_tokens = max_tokens;
    return o;
  }

  static Result<ChatResult> Ask(Engine& engine, const ChatOptions& options, const std::string& question = "Hello there",
                                const CancellationToken* cancel = nullptr) {
    return engine.Chat({{"system", "You are terse."}, {"user", question}}, options,
                       [](std::string_view) { return true; }, cancel);
  }

  static fs::path* dir_;
};
fs::path* LlamaEngineTest::dir_ = nullptr;

TEST_F(LlamaEngineTest, InspectsTheGeneratedGguf) {
  auto info = InspectGgufFile(Path());
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->architecture, "llama");
  EXPECT_EQ(info->n_layer, 2u);
  EXPECT_EQ(info->n_embd, 64u);
  EXPECT_EQ(info->n_head_kv, 2u);
  EXPECT_EQ(info->n_vocab, 32000u);
  EXPECT_TRUE(info->has_chat_template);
  EXPECT_GT(info->weight_bytes, 32000u * 64u * 4u);  // at least the f32 token embeddings
  EXPECT_LE(info->weight_bytes, fs::file_size(Path()));
}

TEST_F(LlamaEngineTest, RejectsMissingForeignAndTruncatedFiles) {
  EXPECT_EQ(InspectGgufFile((*dir_ / "absent.gguf").string()).status().code(), ErrorCode::kNotFound);
  const auto foreign = (*dir_ / "foreign.gguf").string();
  std::ofstream(foreign) << "this is not a model";
  EXPECT_EQ(InspectGgufFile(foreign).status().code(), ErrorCode::kInvalidArgument);

  const auto truncated = (*dir_ / "truncated.gguf").string();
  fs::copy_file(Path(), truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, fs::file_size(Path()) / 2);
  auto info = InspectGgufFile(truncated);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kInvalidArgument);

  ModelConfig m = Config();
  m.path = truncated;
  auto engine = DefaultEngineRegistry().Create(m);
  ASSERT_TRUE(engine.ok());
  LoadRequest load;
  load.path = truncated;
  EXPECT_EQ((*engine)->Load(load).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*engine)->FootprintBytes(), 0u);
}

TEST_F(LlamaEngineTest, MeasuresAFootprintCloseToThePrediction) {
  ModelConfig m = Config(2, {{"context", "512"}});
  auto engine = Loaded(m);
  auto* llama = dynamic_cast<LlamaEngine*>(engine.get());
  ASSERT_NE(llama, nullptr);
  const auto fp = llama->footprint();
  EXPECT_EQ(fp.slots, 2);
  EXPECT_EQ(fp.gpu_layers, 0);
  EXPECT_EQ(fp.device_bytes, 0u);
  auto info = InspectGgufFile(Path());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(fp.weight_bytes, info->weight_bytes);
  // Weights + two KV caches (2 layers x 512 tokens x 2 heads x 16+16 x f16 = 128 KiB each).
  EXPECT_GE(fp.total(), fp.weight_bytes + 2 * PredictKvBytes(*info, 512));
  EXPECT_GE(engine->FootprintBytes(), fp.total());
  const double predicted = static_cast<double>(engine->EstimateFootprint());
  EXPECT_GT(predicted, 0.7 * static_cast<double>(fp.total())) << predicted << " vs " << fp.total();
  EXPECT_LT(predicted, 1.5 * static_cast<double>(fp.total())) << predicted << " vs " << fp.total();
  EXPECT_EQ(llama->host_copy_bytes(), fs::file_size(Path()));
  engine->Unload();
  EXPECT_EQ(engine->FootprintBytes(), 0u);
}

TEST_F(LlamaEngineTest, GreedyAnswersAreDeterministicAndStopAtMaxTokens) {
  auto engine = Loaded(Config());
  auto a = Ask(*engine, Greedy(12));
  auto b = Ask(*engine, Greedy(12));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->text, b->text);
  EXPECT_FALSE(a->text.empty());
  EXPECT_LE(a->tokens, 12);
  if (a->finish_reason == "length") {
    EXPECT_EQ(a->tokens, 12);
  }
}

TEST_F(LlamaEngineTest, StreamsThePiecesOfTheAnswer) {
  auto engine = Loaded(Config());
  std::string streamed;
  int pieces = 0;
  auto r = engine->Chat({{"user", "Tell me a story"}}, Greedy(16), [&](std::string_view piece) {
    streamed += piece;
    ++pieces;
    return true;
  }, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(streamed, r->text);
  EXPECT_GT(pieces, 1);
}

TEST_F(LlamaEngineTest, TheCallbackAndTheTokenCancel) {
  auto engine = Loaded(Config());
  int pieces = 0;
  auto r = engine->Chat({{"user", "Go on"}}, Greedy(64), [&](std::string_view) { return ++pieces < 3; }, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, "cancelled");
  EXPECT_EQ(pieces, 3);

  CancellationToken cancel;
  cancel.Cancel();
  auto c = Ask(*engine, Greedy(64), "Hello", &cancel);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->finish_reason, "cancelled");
  EXPECT_EQ(c->tokens, 0);
}

// The prompt cache: a slot keeps its KV cache, so the next call evaluates only what follows
// the common prefix, and answers exactly as an engine that evaluated everything.
TEST_F(LlamaEngineTest, APromptCacheKeepsTheSharedPrefixAndAnswersTheSame) {
  auto engine = Loaded(Config());
  auto first = Ask(*engine, Greedy(8));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_GT(first->prompt_tokens, 4);
  EXPECT_EQ(first->cached_prompt_tokens, 0);

  auto again = Ask(*engine, Greedy(8));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->text, first->text);
  EXPECT_EQ(again->cached_prompt_tokens, first->prompt_tokens - 1);  // the last is evaluated again

  // The next turn of the conversation repeats the first: only its new part is evaluated.
  const std::vector<ChatMessage> next_turn = {
      {"system", "You are terse."}, {"user", "Hello there"}, {"assistant", first->text}, {"user", "And then?"}};
  auto quiet = [](std::string_view) { return true; };
  auto cached = engine->Chat(next_turn, Greedy(8), quiet, nullptr);
  auto fresh = Loaded(Config())->Chat(next_turn, Greedy(8), quiet, nullptr);
  ASSERT_TRUE(cached.ok() && fresh.ok());
  EXPECT_EQ(fresh->cached_prompt_tokens, 0);
  EXPECT_GE(cached->cached_prompt_tokens, first->prompt_tokens - 2);
  EXPECT_LT(cached->cached_prompt_tokens, cached->prompt_tokens);
  EXPECT_EQ(cached->text, fresh->text);
}

TEST_F(LlamaEngineTest, ACancelledCallLeavesTheCacheConsistent) {
  auto engine = Loaded(Config());
  auto expected = Ask(*engine, Greedy(8), "Something else entirely");
  ASSERT_TRUE(expected.ok());
  // Stopped after two pieces: the cache holds the prompt and two generated tokens.
  int pieces = 0;
  auto stopped = engine->Chat({{"user", "Go on"}}, Greedy(64), [&](std::string_view) { return ++pieces < 2; }, nullptr);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->finish_reason, "cancelled");
  // Cancelled before the prompt was evaluated.
  CancellationToken cancel;
  cancel.Cancel();
  auto cancelled = Ask(*engine, Greedy(8), "Something else entirely", &cancel);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->finish_reason, "cancelled");

  auto after = Ask(*engine, Greedy(8), "Something else entirely");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->text, expected->text);
}

TEST_F(LlamaEngineTest, SeedsMakeSampledAnswersRepeatable) {
  auto engine = Loaded(Config());
  ChatOptions o;
  o.temperature = 1.0;
  o.max_tokens = 16;
  o.extra["top_p"] = "0.9";
  o.extra["seed"] = "7";
  auto a = Ask(*engine, o);
  auto b = Ask(*engine, o);
  o.extra["seed"] = "8";
  auto c = Ask(*engine, o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->text, b->text);
  EXPECT_NE(a->text, c->text);
  o.extra["seed"] = "seven";
  EXPECT_EQ(Ask(*engine, o).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(LlamaEngineTest, StopSequencesEndTheAnswerBeforeThem) {
  auto engine = Loaded(Config());
  auto full = Ask(*engine, Greedy(24));
  ASSERT_TRUE(full.ok());
  ASSERT_GE(full->text.size(), 8u);
  const std::string stop = full->text.substr(full->text.size() / 2, 3);
  ChatOptions o = Greedy(24);
  o.stop = {stop};
  auto r = Ask(*engine, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, "stop");
  EXPECT_EQ(r->text, full->text.substr(0, full->text.find(stop)));
}

TEST_F(LlamaEngineTest, ParallelSlotsAnswerAtOnceOverOneModel) {
  auto engine = Loaded(Config(2));
  auto expected = Ask(*engine, Greedy(10));
  ASSERT_TRUE(expected.ok());
  std::vector<std::string> answers(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = Ask(*engine, Greedy(10));
      answers[i] = r.ok() ? r->text : "error: " + r.status().message();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : answers) EXPECT_EQ(a, expected->text);
}

TEST_F(LlamaEngineTest, ACallTakesTheSlotThatHoldsItsPrefix) {
  auto engine = Loaded(Config(2));
  // One after the other, so both calls find both slots free; the second question differs
  // from the first from its start (no system message), and lands in the other slot.
  auto quiet = [](std::string_view) { return true; };
  ASSERT_TRUE(Ask(*engine, Greedy(4)).ok());
  ASSERT_TRUE(engine->Chat({{"user", "Another question"}}, Greedy(4), quiet, nullptr).ok());
  for (int i = 0; i < 3; ++i) {
    auto a = Ask(*engine, Greedy(4));
    auto b = engine->Chat({{"user", "Another question"}}, Greedy(4), quiet, nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->cached_prompt_tokens, a->prompt_tokens - 1) << "round " << i;
    EXPECT_EQ(b->cached_prompt_tokens, b->prompt_tokens - 1) << "round " << i;
  }
}

TEST_F(LlamaEngineTest, ReloadsFromTheRamTierWithoutTheFile) {
  const auto copy = (*dir_ / "copy.gguf").string();
  fs::copy_file(Path(), copy, fs::copy_options::overwrite_existing);
  ModelConfig m = Config();
  m.path = copy;
  auto engine = Loaded(m);
  auto before = Ask(*engine, Greedy(10));
  ASSERT_TRUE(before.ok());
  auto weights = engine->ExportWeights();
  ASSERT_TRUE(weights.has_value());
  // The file, and the heap of the model kept loaded with it (its vocabulary).
  EXPECT_GE(weights->accounted_bytes, fs::file_size(copy));
  EXPECT_LT(weights->accounted_bytes, fs::file_size(copy) + 64 * 1024 * 1024);
  engine->Unload();
  fs::remove(copy);  // a reload from RAM must not need the disk

  Status st = LoadFromRam(*engine, *weights);
  ASSERT_TRUE(st.ok()) << st.message();
  auto after = Ask(*engine, Greedy(10));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->text, before->text);
  EXPECT_EQ(engine->ReadWeights().status().code(), ErrorCode::kNotFound);
}

// A GPU reload does not reuse the CPU model: it parses the memory file again, which must
// give the same model.
TEST_F(LlamaEngineTest, ReloadsFromTheRamTierBytesAlone) {
  auto engine = Loaded(Config());
  auto before = Ask(*engine, Greedy(10));
  ASSERT_TRUE(before.ok());
  auto weights = engine->ExportWeights();
  ASSERT_TRUE(weights.has_value());
  ASSERT_NE(weights->loaded, nullptr);  // it ran on the CPU
  weights->loaded.reset();
  engine->Unload();
  Status st = LoadFromRam(*engine, *weights);
  ASSERT_TRUE(st.ok()) << st.message();
  auto after = Ask(*engine, Greedy(10));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->text, before->text);
}

// The RAM tier keeps the loaded model after the engine that exported it is gone.
TEST_F(LlamaEngineTest, TheRamTierModelOutlivesItsEngine) {
  std::optional<WeightBlob> weights;
  std::string before;
  {
    auto engine = Loaded(Config());
    auto r = Ask(*engine, Greedy(10));
    ASSERT_TRUE(r.ok());
    before = r->text;
    weights = engine->ExportWeights();
    ASSERT_TRUE(weights.has_value());
  }
  auto engine = DefaultEngineRegistry().Create(Config());
  ASSERT_TRUE(engine.ok());
  Status st = LoadFromRam(**engine, *weights);
  ASSERT_TRUE(st.ok()) << st.message();
  weights.reset();  // the engine holds what it uses
  auto after = Ask(**engine, Greedy(10));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->text, before);
}

TEST_F(LlamaEngineTest, LoadsThePathTheRequestNames) {
  ModelConfig m = Config();
  m.path.clear();  // the file comes with the load request
  auto engine = DefaultEngineRegistry().Create(m);
  ASSERT_TRUE(engine.ok());
  LoadRequest load;
  load.path = Path();
  Status st = (*engine)->Load(load);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(Ask(**engine, Greedy(4)).ok());
}

TEST_F(LlamaEngineTest, APromptLongerThanTheContextIsRejected) {
  auto engine = Loaded(Config(1, {{"context", "64"}}));
  std::string longer;
  for (int i = 0; i < 100; ++i) longer += "word ";
  auto r = Ask(*engine, Greedy(4), longer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("64"), std::string::npos);
  EXPECT_TRUE(Ask(*engine, Greedy(4), "hi").ok());  // the slot is usable again
}

TEST_F(LlamaEngineTest, AnswersStopWhenTheContextIsFull) {
  auto engine = Loaded(Config(1, {{"context", "64"}}));
  auto r = Ask(*engine, Greedy(0), "hi");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason == "length" || r->finish_reason == "stop", true);
  EXPECT_LT(r->tokens, 64);
}

TEST_F(LlamaEngineTest, RejectsBadOptionsKindsAndPlacements) {
  auto registry = DefaultEngineRegistry();
  EXPECT_EQ(registry.Create(Config(1, {{"context", "lots"}})).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry.Create(Config(1, {{"flash_attn", "maybe"}})).status().code(), ErrorCode::kInvalidArgument);
  ModelConfig stt = Config();
  stt.kind = ModelKind::kStt;
  EXPECT_EQ(registry.Create(stt).status().code(), ErrorCode::kInvalidArgument);

  auto engine = registry.Create(Config());
  ASSERT_TRUE(engine.ok());
  LoadRequest load;
  load.path = Path();
  load.device = DeviceTarget{"gpu0", DeviceKind::kGpu, 0, false};
  Status st = (*engine)->Load(load);
  // Without a GPU (or a CUDA build) the placement fails cleanly.
  if (!st.ok()) {
    EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition) << st.message();
  }
  (*engine)->Unload();
  EXPECT_EQ(Ask(**engine, Greedy(4)).status().code(), ErrorCode::kUnavailable);
}

TEST_F(LlamaEngineTest, UnknownChatTemplatesAreAnError) {
  auto engine = Loaded(Config(1, {{"chat_template", "no-such-template"}}));
  auto r = Ask(*engine, Greedy(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace harvis
