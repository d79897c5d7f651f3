#include "engines/tts/flite/flite_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace harvis {
namespace {

constexpr const char* kSentence = "The quick brown fox jumps over the lazy dog.";

ModelConfig FliteModel(std::map<std::string, std::string> options = {}) {
  ModelConfig m;
  m.name = "flite-test";
  m.kind = ModelKind::kTts;
  m.engine = "flite";
  m.options = std::move(options);
  return m;
}

std::unique_ptr<FliteEngine> LoadedFlite(std::map<std::string, std::string> options = {}) {
  auto created = FliteEngine::Create(FliteModel(std::move(options)));
  EXPECT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<FliteEngine> engine(static_cast<FliteEngine*>(created.value().release()));
  Status st = engine->Load(LoadRequest{});
  EXPECT_TRUE(st.ok()) << st.message();
  return engine;
}

double Seconds(const SpeechAudio& audio) {
  return audio.sample_rate > 0 ? static_cast<double>(audio.pcm.size()) / audio.sample_rate : 0;
}

bool HasSignal(const SpeechAudio& audio) {
  return std::any_of(audio.pcm.begin(), audio.pcm.end(),
                     [](int16_t s) { return std::abs(s) > 500; });
}

TEST(FliteEngineTest, SynthesizesASentenceAtTheVoiceRate) {
  auto engine = LoadedFlite();
  auto audio = engine->Synthesize(kSentence, SynthesizeOptions{});
  ASSERT_TRUE(audio.ok()) << audio.status().message();
  EXPECT_EQ(audio->sample_rate, 16000);
  EXPECT_TRUE(HasSignal(*audio));
  EXPECT_GT(Seconds(*audio), 1.5);
  EXPECT_LT(Seconds(*audio), 6.0);
  EXPECT_GT(engine->FootprintBytes(), 0u);
}

TEST(FliteEngineTest, SpeedChangesDurationInTheRightDirection) {
  auto engine = LoadedFlite();
  SynthesizeOptions slow, normal, fast;
  slow.speed = 0.5;
  fast.speed = 2.0;
  auto a = engine->Synthesize(kSentence, slow);
  auto b = engine->Synthesize(kSentence, normal);
  auto c = engine->Synthesize(kSentence, fast);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_GT(a->pcm.size(), b->pcm.size() * 3 / 2);
  EXPECT_LT(c->pcm.size(), b->pcm.size() * 3 / 4);
  // The stretch is reset per call: normal speed again gives the normal length.
  auto again = engine->Synthesize(kSentence, normal);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pcm.size(), b->pcm.size());
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
  std::string text;
  for (int i = 1; i <= 50; ++i) text += "This is sentence number " + std::to_string(i) + ". ";
  int sentences = 0;
  std::size_t largest = 0, total = 0;
  SynthesizeOptions options;
  options.sample_rate = 24000;
  Status st = engine->SynthesizeSentences(text, options, [&](SpeechAudio chunk) {
    ++sentences;
    largest = std::max(largest, chunk.pcm.size());
    total += chunk.pcm.size();
    EXPECT_EQ(chunk.sample_rate, 24000);
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sentences, 50);
  EXPECT_LT(largest, 24000u * 5);
  EXPECT_GT(total, 24000u * 50);
}

TEST(FliteEngineTest, ConcurrentCallsAreSafe) {
  auto engine = LoadedFlite();
  SynthesizeOptions slt, awb;
  awb.voice = "awb";
  awb.speed = 1.3;
  auto slt_alone = engine->Synthesize("Good morning to you.", slt);
  auto awb_alone = engine->Synthesize("Good evening to you.", awb);
  ASSERT_TRUE(slt_alone.ok() && awb_alone.ok());
  std::vector<std::size_t> slt_sizes, awb_sizes;
  std::thread a([&] {
    for (int i = 0; i < 4; ++i) {
      auto r = engine->Synthesize("Good morning to you.", slt);
      slt_sizes.push_back(r.ok() ? r->pcm.size() : 0);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 4; ++i) {
      auto r = engine->Synthesize("Good evening to you.", awb);
      awb_sizes.push_back(r.ok() ? r->pcm.size() : 0);
    }
  });
  a.join();
  b.join();
  for (auto n : slt_sizes) EXPECT_EQ(n, slt_alone->pcm.size());
  for (auto n : awb_sizes) EXPECT_EQ(n, awb_alone->pcm.size());
}

TEST(FliteEngineTest, OddTextIsSynthesizedWithoutErrors) {
  auto engine = LoadedFlite();
  for (const std::string& text : std::vector<std::string>{
           "Caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80.",
           "\x01\x02\x7F\xFF\xFE", "...", "!!!", "$3.50 at 10:30pm, a@b.com",
           std::string(1000, 'a')}) {
    auto audio = engine->Synthesize(text, SynthesizeOptions{});
    EXPECT_TRUE(audio.ok()) << audio.status().message();
  }
}

}  // namespace
}  // namespace harvis
