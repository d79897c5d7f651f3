// The model generator, the model-file checker and the parser of whisper.cpp's size lines.
#include <cstdlib>

#include "engines/stt/whisper/whisper_log.h"
#include "whisper_test_support.h"

namespace harvis {
namespace {

using namespace whisper_test;

// Removes the scratch folder of generated models after the last test.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(ScratchDir(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

TEST(WhisperModelGenerator, IsDeterministicAndSmall) {
  test_tools::WhisperModelSpec spec;
  const auto a = test_tools::GenerateWhisperModel(spec);
  const auto b = test_tools::GenerateWhisperModel(spec);
  EXPECT_EQ(a, b);
  EXPECT_LT(a.size(), 10u * 1024 * 1024);
  spec.seed = 7;
  EXPECT_NE(test_tools::GenerateWhisperModel(spec), a);
}

TEST(WhisperModelGenerator, GeneratedModelsPassTheChecker) {
  for (bool multilingual : {false, true}) {
    for (int layers : {1, 2}) {
      test_tools::WhisperModelSpec spec;
      spec.multilingual = multilingual;
      spec.layers = layers;
      auto info = InspectWhisperModel(test_tools::GenerateWhisperModel(spec), "generated");
      ASSERT_TRUE(info.ok()) << info.status().message();
      EXPECT_EQ(info->hparams.multilingual(), multilingual);
      EXPECT_EQ(info->hparams.n_audio_layer, layers);
      EXPECT_EQ(info->tensors, 11 + 39 * layers);
      EXPECT_GT(info->weight_bytes, 0u);
    }
  }
}

TEST(WhisperModelGenerator, CommandLineToolWritesALoadableModel) {
  const std::string out = (ScratchDir() / "cli.bin").string();
  const std::string command =
      std::string(MAKE_WHISPER_MODEL_BIN) + " " + out + " --seed 5 --layers 2 --multilingual";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  test_tools::WhisperModelSpec spec;
  spec.seed = 5;
  spec.layers = 2;
  spec.multilingual = true;
  EXPECT_EQ(ReadBytes(out), test_tools::GenerateWhisperModel(spec));

  WhisperEngine engine(WhisperConfig(out), {});
  ASSERT_TRUE(engine.Load(CpuLoad(out)).ok());
  EXPECT_TRUE(engine.multilingual());
  auto t = engine.Transcribe(SyntheticSpeech(1.0), Threads(1, "fr"));
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->language, "fr");

  const std::string usage = std::string(MAKE_WHISPER_MODEL_BIN) + " --layers 0 2>/dev/null";
  EXPECT_NE(std::system(usage.c_str()), 0);
}

TEST(WhisperModelFile, EstimateCoversKvCachesAndLogits) {
  WhisperHParams base;  // whisper "base": 6 layers, 512 wide
  base.n_vocab = 51865;
  base.n_audio_ctx = 1500;
  base.n_audio_state = base.n_text_state = 512;
  base.n_audio_head = base.n_text_head = 8;
  base.n_audio_layer = base.n_text_layer = 6;
  base.n_text_ctx = 448;
  base.n_mels = 80;
  const std::uint64_t estimate = EstimateWhisperStateBytes(base);
  EXPECT_GT(estimate, 100u * 1000 * 1000);  // logits alone: 448 x 51865 x 4 bytes
  EXPECT_LT(estimate, 1000u * 1000 * 1000);
}

TEST(WhisperLog, ParsesTheSizeLinesWhisperPrints) {
  WhisperReportedBuffer b;
  ASSERT_TRUE(ParseWhisperBufferLine("whisper_model_load:          CPU total size =     6.93 MB", &b));
  EXPECT_EQ(b.bytes, 6935000u);
  EXPECT_EQ(b.label, "whisper_model_load:          CPU total size");
  ASSERT_TRUE(ParseWhisperBufferLine("whisper_init_state: kv self size  =    0.52 MB", &b));
  EXPECT_EQ(b.bytes, 525000u);
  ASSERT_TRUE(ParseWhisperBufferLine("whisper_init_state: kv pad  size  =    3.15 MB", &b));
  ASSERT_TRUE(ParseWhisperBufferLine("whisper_init_state: compute buffer (decode) =   96.00 MB", &b));
  EXPECT_EQ(b.bytes, 96005000u);

  EXPECT_FALSE(ParseWhisperBufferLine("whisper_model_load: model size    =    6.93 MB", &b));
  EXPECT_FALSE(ParseWhisperBufferLine("whisper_model_load: n_vocab       = 51864", &b));
  EXPECT_FALSE(ParseWhisperBufferLine("whisper_init_state: alignment heads masks size = 160 B", &b));
  EXPECT_FALSE(ParseWhisperBufferLine("whisper_init_state: kv self size = garbage MB", &b));
}

}  // namespace
}  // namespace harvis
