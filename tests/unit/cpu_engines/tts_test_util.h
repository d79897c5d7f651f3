// Shared fixtures of the in-process TTS engine tests (espeak_engine_test.cpp,
// flite_engine_test.cpp): the model configuration, a created and loaded engine, facts of
// the synthesized PCM, and the checks both engines must pass in the same way.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "engines/engine.h"

namespace harvis::testing {

inline constexpr char kSentence[] = "The quick brown fox jumps over the lazy dog.";

// A TTS model named `name` served by `engine`, with `options`.
inline ModelConfig TtsModel(const std::string& name, const std::string& engine,
                            std::map<std::string, std::string> options = {}) {
  ModelConfig m;
  m.name = name;
  m.kind = ModelKind::kTts;
  m.engine = engine;
  m.options = std::move(options);
  return m;
}

// `Engine::Create(model)`, then Load(); failures are test failures.
template <typename Engine>
std::unique_ptr<Engine> LoadedTts(const ModelConfig& model) {
  auto created = Engine::Create(model);
  EXPECT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<Engine> engine(static_cast<Engine*>(created.value().release()));
  Status st = engine->Load(LoadRequest{});
  EXPECT_TRUE(st.ok()) << st.message();
  return engine;
}

// The duration of `audio` in seconds.
inline double Seconds(const SpeechAudio& audio) {
  return audio.sample_rate > 0 ? static_cast<double>(audio.pcm.size()) / audio.sample_rate : 0;
}

// Whether `audio` holds more than near-silence.
inline bool HasSignal(const SpeechAudio& audio) {
  return std::any_of(audio.pcm.begin(), audio.pcm.end(),
                     [](int16_t s) { return std::abs(s) > 500; });
}

// kSentence with default options: `rate` Hz (the engine's native rate), audible, and
// between 1.5 and 6 s long (nine words: about 3 s; a wide band).
template <typename Engine>
void ExpectSentenceAtNativeRate(Engine& engine, int rate) {
  auto audio = engine.Synthesize(kSentence, SynthesizeOptions{});
  ASSERT_TRUE(audio.ok()) << audio.status().message();
  EXPECT_EQ(audio->sample_rate, rate);
  EXPECT_TRUE(HasSignal(*audio));
  EXPECT_GT(Seconds(*audio), 1.5);
  EXPECT_LT(Seconds(*audio), 6.0);
}

// kSentence at half, normal and double speed: slow is over 1.5x the normal length, fast
// under 0.75x. `normal_samples` (when given) receives the normal length.
template <typename Engine>
void ExpectSpeedScalesDuration(Engine& engine, std::size_t* normal_samples = nullptr) {
  SynthesizeOptions slow, normal, fast;
  slow.speed = 0.5;
  fast.speed = 2.0;
  auto a = engine.Synthesize(kSentence, slow);
  auto b = engine.Synthesize(kSentence, normal);
  auto c = engine.Synthesize(kSentence, fast);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_GT(a->pcm.size(), b->pcm.size() * 3 / 2);
  EXPECT_LT(c->pcm.size(), b->pcm.size() * 3 / 4);
  if (normal_samples) *normal_samples = b->pcm.size();
}

// Fifty short numbered sentences.
inline std::string FiftySentences() {
  std::string text;
  for (int i = 1; i <= 50; ++i) text += "This is sentence number " + std::to_string(i) + ". ";
  return text;
}

// FiftySentences() through SynthesizeSentences with `options`: fifty chunks at `rate`,
// each under 5 s, together over 50 s. `total_samples` (when given) receives the sum of
// the chunks' lengths.
template <typename Engine>
void ExpectLongTextInBoundedSentences(Engine& engine, const SynthesizeOptions& options, std::size_t rate,
                                      std::size_t* total_samples = nullptr) {
  int sentences = 0;
  std::size_t largest = 0, total = 0;
  Status st = engine.SynthesizeSentences(FiftySentences(), options, [&](SpeechAudio chunk) {
    ++sentences;
    largest = std::max(largest, chunk.pcm.size());
    total += chunk.pcm.size();
    EXPECT_EQ(chunk.sample_rate, static_cast<int>(rate));
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(sentences, 50);
  EXPECT_LT(largest, rate * 5);  // each chunk is one short sentence, well under 5 s
  EXPECT_GT(total, rate * 50);   // and together they say all of it (> 1 s each)
  if (total_samples) *total_samples = total;
}

// The PCM lengths of `times` syntheses of each of two texts, the two run at once on
// two threads (0 for a failed call).
struct ConcurrentSizes {
  std::vector<std::size_t> first, second;
};
template <typename Engine>
ConcurrentSizes SynthesizeConcurrently(Engine& engine, const std::string& first_text,
                                       const SynthesizeOptions& first_options, const std::string& second_text,
                                       const SynthesizeOptions& second_options, int times) {
  ConcurrentSizes sizes;
  auto run = [&](const std::string& text, const SynthesizeOptions& options, std::vector<std::size_t>& out) {
    for (int i = 0; i < times; ++i) {
      auto r = engine.Synthesize(text, options);
      out.push_back(r.ok() ? r->pcm.size() : 0);
    }
  };
  std::thread a([&] { run(first_text, first_options, sizes.first); });
  std::thread b([&] { run(second_text, second_options, sizes.second); });
  a.join();
  b.join();
  return sizes;
}

// Odd input (non-ASCII, control bytes, punctuation only, symbols, one 1000-letter word)
// is synthesized without errors.
template <typename Engine>
void ExpectOddTextSynthesizes(Engine& engine) {
  for (const std::string& text : std::vector<std::string>{
           "Caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80.",
           "\x01\x02\x7F\xFF\xFE", "...", "!!!", "$3.50 at 10:30pm, a@b.com",
           std::string(1000, 'a')}) {
    auto audio = engine.Synthesize(text, SynthesizeOptions{});
    EXPECT_TRUE(audio.ok()) << audio.status().message();
  }
}

}  // namespace harvis::testing
