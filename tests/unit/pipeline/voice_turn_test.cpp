#include "pipeline/voice_turn.h"

#include <gtest/gtest.h>

#include <mutex>

#include "turn_test_util.h"

namespace harvis::pipeline {
namespace {

using testing::TurnHarness;

// Records what the turn sends, in order; can play a client that goes away.
class RecordingSink : public VoiceTurnSink {
 public:
  bool Token(std::string_view) override {
    std::lock_guard lk(mu);
    events.push_back("token");
    return ++tokens <= fail_after_tokens;
  }
  bool Audio(size_t index, const std::string& sentence, const SpeechAudio& audio) override {
    std::lock_guard lk(mu);
    events.push_back("audio");
    indices.push_back(index);
    sentences.push_back(sentence);
    EXPECT_FALSE(audio.pcm.empty());
    return true;
  }

  std::mutex mu;
  std::vector<std::string> events, sentences;
  std::vector<size_t> indices;
  size_t tokens = 0;
  size_t fail_after_tokens = SIZE_MAX;
};

VoiceTurnRequest Request() {
  VoiceTurnRequest r;
  r.pcm.assign(16000, 0.1f);
  r.stt_model = "stt";
  r.llm_model = "llm";
  r.tts_model = "tts";
  return r;
}

TEST(VoiceTurn, SpeaksEachSentenceWhileTheLlmIsStillWriting) {
  TurnHarness h;
  h.script->answer = "Sunny and warm. Dr. Smith says 21.5 degrees! Take a hat? Yes.";
  RecordingSink sink;
  // Before the last word ("Yes."), wait (bounded) for the first sentence's audio: it
  // must be able to arrive while the LLM is still writing.
  h.script->before_token = [&](size_t i) {
    auto has_audio = [&] {
      std::lock_guard lk(sink.mu);
      return !sink.sentences.empty();
    };
    for (int k = 0; i == 10 && k < 500 && !has_audio(); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  ASSERT_TRUE(h.Build().ok());
  auto turn = VoiceTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok()) << turn.status().message();
  EXPECT_EQ((*turn)->transcript().text, "what is the weather like");
  auto result = (*turn)->Stream(sink);
  ASSERT_TRUE(result.ok()) << result.status().message();

  EXPECT_EQ(result->answer, h.script->answer);
  EXPECT_FALSE(result->cancelled);
  ASSERT_EQ(result->sentences, 4u);
  EXPECT_EQ(sink.sentences,
            (std::vector<std::string>{"Sunny and warm.", "Dr. Smith says 21.5 degrees!", "Take a hat?", "Yes."}));
  EXPECT_EQ(sink.indices, (std::vector<size_t>{0, 1, 2, 3}));
  // The first audio came before the last token.
  auto first_audio = std::find(sink.events.begin(), sink.events.end(), "audio");
  auto last_token = std::find(sink.events.rbegin(), sink.events.rend(), "token").base() - 1;
  EXPECT_LT(first_audio, last_token);
  const auto& t = result->timings;
  EXPECT_GE(t.first_token_s, t.stt_s);
  EXPECT_GE(t.first_audio_s, t.first_token_s);
  EXPECT_GE(t.total_s, t.first_audio_s);
  turn->reset();
  EXPECT_EQ(h.TotalLeases(), 0);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(VoiceTurn, TtsIsPrewarmedWhileTheLlmWrites) {
  TurnHarness h;
  h.script->answer = "one two three four";  // no sentence ends before the stream does
  std::string tts_state_before_last_token;
  h.script->before_token = [&](size_t i) {
    if (i != 3) return;
    for (int k = 0; k < 500 && h.State("tts") != "ready"; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    tts_state_before_last_token = h.State("tts");
  };
  ASSERT_TRUE(h.Build("50ms").ok());
  auto turn = VoiceTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok());
  RecordingSink sink;
  auto result = (*turn)->Stream(sink);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(tts_state_before_last_token, "ready");  // loaded with no sentence to speak yet
  EXPECT_EQ(sink.sentences, std::vector<std::string>{"one two three four"});
}

TEST(VoiceTurn, ClientGoneStopsGenerationAndReleasesLeases) {
  TurnHarness h;
  h.script->answer = "First sentence here. Second one is long and goes on and on and on and on.";
  ASSERT_TRUE(h.Build().ok());
  auto turn = VoiceTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok());
  RecordingSink sink;
  sink.fail_after_tokens = 5;
  auto result = (*turn)->Stream(sink);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->cancelled);
  EXPECT_TRUE(h.script->saw_cancel);
  EXPECT_EQ(sink.tokens, 6u);  // the failed write is the last one
  turn->reset();
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(VoiceTurn, NoSpeechIsUnprocessable) {
  TurnHarness h;
  h.script->transcript = "  ";
  ASSERT_TRUE(h.Build().ok());
  auto turn = VoiceTurn::Start(*h.scheduler, Request());
  ASSERT_FALSE(turn.ok());
  EXPECT_EQ(turn.status().code(), ErrorCode::kUnprocessable);
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(VoiceTurn, TtsThatCannotLoadEndsTheTurnWithItsError) {
  TurnHarness h;
  h.script->answer = "A sentence. Another sentence.";
  ASSERT_TRUE(h.Build("0s", /*tts_fails=*/true).ok());
  auto turn = VoiceTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok());
  RecordingSink sink;
  auto result = (*turn)->Stream(sink);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kUnavailable) << result.status().message();
  EXPECT_TRUE(sink.sentences.empty());
  turn->reset();
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(VoiceTurn, UnknownModelIsNotFound) {
  TurnHarness h;
  ASSERT_TRUE(h.Build().ok());
  VoiceTurnRequest r = Request();
  r.stt_model = "nope";
  auto turn = VoiceTurn::Start(*h.scheduler, r);
  ASSERT_FALSE(turn.ok());
  EXPECT_EQ(turn.status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace harvis::pipeline
