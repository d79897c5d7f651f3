#include "engines/tts/flite/flite_engine.h"

#include <gtest/gtest.h>

#include "tts_test_util.h"

namespace harvis {
namespace {

// The shared TTS fixtures (tts_test_util.h).
using namespace harvis::testing;

ModelConfig FliteModel(std::map<std::string, std::string> options = {}) {
  return TtsModel("flite-test", "flite", std::move(options));
}

std::unique_ptr<FliteEngine> LoadedFlite(std::map<std::string, std::string> options = {}) {
  return LoadedTts<FliteEngine>(FliteModel(std::move(options)));
}

TEST(FliteEngineTest, SynthesizesASentenceAtTheVoiceRate) {
  auto engine = LoadedFlite();
  ASSERT_NO_FATAL_FAILURE(ExpectSentenceAtNativeRate(*engine, 16000));
  EXPECT_GT(engine->FootprintBytes(), 0u);
}

TEST(FliteEngineTest, SpeedChangesDurationInTheRightDirection) {
  auto engine = LoadedFlite();
  std::size_t normal_samples = 0;
  ASSERT_NO_FATAL_FAILURE(ExpectSpeedScalesDuration(*engine, &normal_samples));
  // The stretch is reset per call: normal speed again gives the normal length.
  auto again = engine->Synthesize(kSentence, SynthesizeOptions{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pcm.size(), normal_samples);
}

TEST(FliteEngineTest, ResamplesToRequestedRates) {
  auto engine = LoadedFlite();
  auto native = engine->Synthesize(kSentence, SynthesizeOptions{});
  ASSERT_TRUE(native.ok());
  for (int rate : {16000, 24000, 48000, 22050}) {
    SynthesizeOptions options;
    options.sample_rate = rate;
    auto audio = engine->Synthesize(kSentence, options);
    ASSERT_TRUE(audio.ok()) << rate;
    EXPECT_EQ(audio->sample_rate, rate);
    const double expected = static_cast<double>(native->pcm.size()) * rate / 16000.0;
    EXPECT_NEAR(static_cast<double>(audio->pcm.size()), expected, 2.0) << rate;
  }
}

TEST(FliteEngineTest, EveryListedVoiceSpeaks) {
  auto engine = LoadedFlite();
  auto voices = FliteEngine::ListVoices();
  ASSERT_EQ(voices.size(), 5u);
  for (const tts::Voice& voice : voices) {
    SynthesizeOptions options;
    options.voice = voice.name;
    auto audio = engine->Synthesize("Hello.", options);
    ASSERT_TRUE(audio.ok()) << voice.name << ": " << audio.status().message();
    EXPECT_TRUE(HasSignal(*audio)) << voice.name;
    EXPECT_EQ(audio->sample_rate, voice.name == "kal" ? 8000 : 16000) << voice.name;
    EXPECT_GT(Seconds(*audio), 0.2) << voice.name;
  }
  SynthesizeOptions alias;
  alias.voice = "CMU_US_RMS";
  EXPECT_TRUE(engine->Synthesize("Hello.", alias).ok());
}

TEST(FliteEngineTest, RejectsUnknownVoiceEmptyTextAndBadConfig) {
  auto engine = LoadedFlite();
  SynthesizeOptions options;
  options.voice = "nobody";
  auto audio = engine->Synthesize("Hello.", options);
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(audio.status().message().find("slt"), std::string::npos);
  EXPECT_EQ(engine->Synthesize("", SynthesizeOptions{}).status().code(),
            ErrorCode::kInvalidArgument);
  SynthesizeOptions too_fast;
  too_fast.speed = 10;
  EXPECT_EQ(engine->Synthesize("Hi.", too_fast).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(FliteEngine::Create(FliteModel({{"voice", "nobody"}})).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(FliteEngineTest, UnloadAndReloadKeepWorking) {
  auto first = LoadedFlite();
  auto second = LoadedFlite({{"voice", "kal16"}});
  first->Unload();
  EXPECT_EQ(first->FootprintBytes(), 0u);
  EXPECT_EQ(first->Synthesize("Hi.", SynthesizeOptions{}).status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(second->Synthesize("Still here.", SynthesizeOptions{}).ok());
  second->Unload();
  ASSERT_TRUE(first->Load(LoadRequest{}).ok());  // voices registered again
  EXPECT_TRUE(first->Synthesize("Back again.", SynthesizeOptions{}).ok());
}

TEST(FliteEngineTest, LongTextIsSynthesizedInBoundedSentences) {
  auto engine = LoadedFlite();
  SynthesizeOptions options;
  options.sample_rate = 24000;
  ExpectLongTextInBoundedSentences(*engine, options, 24000);
}

TEST(FliteEngineTest, ConcurrentCallsAreSafe) {
  auto engine = LoadedFlite();
  SynthesizeOptions slt, awb;
  awb.voice = "awb";
  awb.speed = 1.3;
  auto slt_alone = engine->Synthesize("Good morning to you.", slt);
  auto awb_alone = engine->Synthesize("Good evening to you.", awb);
  ASSERT_TRUE(slt_alone.ok() && awb_alone.ok());
  const auto sizes = SynthesizeConcurrently(*engine, "Good morning to you.", slt, "Good evening to you.", awb, 4);
  const std::vector<std::size_t>& slt_sizes = sizes.first;
  const std::vector<std::size_t>& awb_sizes = sizes.second;
  for (auto n : slt_sizes) EXPECT_EQ(n, slt_alone->pcm.size());
  for (auto n : awb_sizes) EXPECT_EQ(n, awb_alone->pcm.size());
}

TEST(FliteEngineTest, OddTextIsSynthesizedWithoutErrors) {
  auto engine = LoadedFlite();
  ExpectOddTextSynthesizes(*engine);
}

}  // namespace
}  // namespace harvis
