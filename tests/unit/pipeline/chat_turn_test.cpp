#include "pipeline/chat_turn.h"

#include <gtest/gtest.h>

#include "turn_test_util.h"

namespace harvis::pipeline {
namespace {

using testing::TurnHarness;

ChatTurnRequest Request() {
  ChatTurnRequest r;
  r.message = "hello";
  r.history = {{"user", "earlier"}, {"assistant", "reply"}};
  r.llm_model = "llm";
  r.tts_model = "tts";
  return r;
}

TEST(ChatTurn, StreamsTokensThenSpeaksTheWholeAnswer) {
  TurnHarness h;
  h.script->answer = "It is sunny. Take a hat.";
  ASSERT_TRUE(h.Build().ok());
  auto turn = ChatTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok()) << turn.status().message();
  std::vector<std::string> events;
  ChatTurnCallbacks cb;
  cb.on_token = [&](std::string_view t) {
    events.push_back(std::string(t));
    return true;
  };
  cb.on_generating_audio = [&] {
    events.push_back("<audio>");
    return true;
  };
  auto result = (*turn)->Run(cb);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(events.back(), "<audio>");
  EXPECT_EQ(events.size(), 7u);  // six words, then the audio announcement
  EXPECT_EQ(result->answer, "It is sunny. Take a hat.");
  ASSERT_EQ(result->history.size(), 4u);
  EXPECT_EQ(result->history[2].content, "hello");
  EXPECT_EQ(result->history[3].role, "assistant");
  ASSERT_TRUE(result->speech.has_value());
  EXPECT_GT(result->speech->pcm.size(), 0u);
}

TEST(ChatTurn, TranscribesAudioInput) {
  TurnHarness h;
  h.script->answer = "Fine.";
  ASSERT_TRUE(h.Build().ok());
  ChatTurnRequest r = Request();
  r.pcm.assign(8000, 0.2f);
  r.stt_model = "stt";
  auto turn = ChatTurn::Start(*h.scheduler, r);
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ((*turn)->message(), "what is the weather like");
}

TEST(ChatTurn, TextOnlyNeverTouchesTheTtsModel) {
  TurnHarness h;
  h.script->answer = "Fine.";
  ASSERT_TRUE(h.Build().ok());
  ChatTurnRequest r = Request();
  r.text_only = true;
  auto turn = ChatTurn::Start(*h.scheduler, r);
  ASSERT_TRUE(turn.ok());
  auto result = (*turn)->Run({});
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->speech.has_value());
  EXPECT_EQ(h.State("tts"), "unloaded");
}

TEST(ChatTurn, LowVramUnloadsTheTurnsModelsAfterIt) {
  TurnHarness h;
  h.script->answer = "Fine.";
  ASSERT_TRUE(h.Build().ok());
  ChatTurnRequest r = Request();
  r.low_vram = true;
  auto turn = ChatTurn::Start(*h.scheduler, r);
  ASSERT_TRUE(turn.ok());
  ASSERT_TRUE((*turn)->Run({}).ok());
  EXPECT_EQ(h.State("llm"), "ready");
  turn->reset();
  EXPECT_EQ(h.State("llm"), "unloaded");
  EXPECT_EQ(h.State("tts"), "unloaded");
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

TEST(ChatTurn, ClientGoneStopsGeneration) {
  TurnHarness h;
  h.script->answer = "one two three four five six";
  ASSERT_TRUE(h.Build().ok());
  auto turn = ChatTurn::Start(*h.scheduler, Request());
  ASSERT_TRUE(turn.ok());
  ChatTurnCallbacks cb;
  cb.on_token = [n = 0](std::string_view) mutable { return ++n < 2; };
  auto result = (*turn)->Run(cb);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(h.script->saw_cancel);
  turn->reset();
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(SpeakText, NothingSpeakableGivesNoAudio) {
  TurnHarness h;
  ASSERT_TRUE(h.Build().ok());
  auto lease = h.scheduler->Acquire("tts");
  ASSERT_TRUE(lease.ok());
  auto none = SpeakText(*lease, "```\nint main() {}\n```", {});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto two = SpeakText(*lease, "One. Two.", {});
  ASSERT_TRUE(two.ok());
  auto one = SpeakText(*lease, "One.", {});
  ASSERT_TRUE(one.ok());
  EXPECT_GT((*two)->pcm.size(), (*one)->pcm.size());  // the sentences are joined
  auto too_long = SpeakText(*lease, "One. Two.", {}, /*max_bytes=*/(*one)->pcm.size() * 2);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), ErrorCode::kPayloadTooLarge);
}

}  // namespace
}  // namespace harvis::pipeline
