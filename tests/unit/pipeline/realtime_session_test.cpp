#include "pipeline/realtime_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>

#include "scheduler/scheduler.h"
#include "speech_signal.h"
#include "turn_test_util.h"

namespace harvis::pipeline {
namespace {

using testing::Concat;
using testing::Silence;
using testing::SpeechLike;
using testing::TurnHarness;

constexpr auto kWait = std::chrono::seconds(20);  // a bound on hangs, not a timing assertion

class RecordingSink : public RealtimeEventSink {
 public:
  void Emit(RealtimeEvent e) override {
    std::lock_guard lk(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  // Waits until `count` events of `type` were emitted.
  bool WaitFor(const std::string& type, size_t count = 1) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, kWait, [&] { return CountLocked(type) >= count; });
  }
  std::vector<RealtimeEvent> OfType(const std::string& type) {
    std::lock_guard lk(mu_);
    std::vector<RealtimeEvent> out;
    for (const auto& e : events_) if (e.type == type) out.push_back(e);
    return out;
  }
  std::vector<std::string> Types() {
    std::lock_guard lk(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) out.push_back(e.type);
    return out;
  }
  size_t Count(const std::string& type) {
    std::lock_guard lk(mu_);
    return CountLocked(type);
  }

 private:
  size_t CountLocked(const std::string& type) const {
    return std::count_if(events_.begin(), events_.end(), [&](const auto& e) { return e.type == type; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RealtimeEvent> events_;
};

RealtimeConfig Config() {
  RealtimeConfig c;
  c.stt_model = "stt";
  c.llm_model = "llm";
  c.tts_model = "tts";
  return c;
}

// Streams `pcm` in 100 ms chunks, as a client does.
void Stream(RealtimeSession& session, const std::vector<float>& pcm) {
  for (size_t i = 0; i < pcm.size(); i += 1600) {
    session.Append(std::vector<float>(pcm.begin() + i, pcm.begin() + std::min(pcm.size(), i + 1600)));
  }
}

bool WaitIdle(RealtimeSession& session) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (session.responding()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The worker releases the turn's leases just after its last event.
bool WaitNoLeases(const TurnHarness& h) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (h.TotalLeases() != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

size_t IndexOf(const std::vector<std::string>& types, const std::string& type) {
  return std::find(types.begin(), types.end(), type) - types.begin();
}

TEST(RealtimeSession, ServerVadRunsAWholeTurn) {
  TurnHarness h;
  h.script->answer = "Sunny and warm. Take a hat.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({Silence(500), SpeechLike(1500), Silence(1000)}));
  ASSERT_TRUE(sink.WaitFor("response.done"));
  ASSERT_TRUE(WaitIdle(session));

  const auto types = sink.Types();
  for (const char* t : {"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                        "input_audio_buffer.committed", "conversation.item.created",
                        "conversation.item.input_audio_transcription.delta",
                        "conversation.item.input_audio_transcription.completed", "response.created",
                        "response.output_item.added", "response.audio.delta", "response.audio_transcript.delta",
                        "response.audio.done", "response.audio_transcript.done", "response.done"}) {
    EXPECT_LT(IndexOf(types, t), types.size()) << t;
  }
  EXPECT_LT(IndexOf(types, "input_audio_buffer.speech_started"), IndexOf(types, "input_audio_buffer.speech_stopped"));
  EXPECT_LT(IndexOf(types, "conversation.item.input_audio_transcription.completed"), IndexOf(types, "response.created"));
  EXPECT_LT(IndexOf(types, "response.audio.delta"), IndexOf(types, "response.done"));

  auto started = sink.OfType("input_audio_buffer.speech_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_GE(started[0].audio_ms, 100);  // speech at 500 ms, less the 300 ms padding
  EXPECT_LE(started[0].audio_ms, 300);
  auto committed = sink.OfType("input_audio_buffer.committed");
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].item_id, started[0].item_id);
  auto completed = sink.OfType("conversation.item.input_audio_transcription.completed");
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].text, "what is the weather like");
  std::string deltas;
  for (const auto& d : sink.OfType("conversation.item.input_audio_transcription.delta")) deltas += d.text;
  EXPECT_EQ(deltas, completed[0].text);

  auto audio = sink.OfType("response.audio.delta");
  ASSERT_EQ(audio.size(), 2u);  // one per sentence
  EXPECT_FALSE(audio[0].audio.pcm.empty());
  auto done = sink.OfType("response.done");
  EXPECT_EQ(done[0].status, "completed");
  EXPECT_EQ(done[0].response_id, sink.OfType("response.created")[0].response_id);
  std::string transcript;
  for (const auto& d : sink.OfType("response.audio_transcript.delta")) transcript += d.text;
  EXPECT_EQ(transcript, "Sunny and warm. Take a hat.");

  auto history = session.History();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].role, "user");
  EXPECT_EQ(history[0].content, "what is the weather like");
  EXPECT_EQ(history[1].role, "assistant");
  EXPECT_EQ(history[1].content, h.script->answer);
  EXPECT_EQ(h.TotalLeases(), 0);  // the turn ended with its response
}

TEST(RealtimeSession, SpeechWithNoWordsGetsNoAnswer) {
  TurnHarness h;
  h.script->transcript = "";  // e.g. a cough: the VAD fires, the STT hears nothing
  h.script->answer = "Should not be said.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({SpeechLike(600), Silence(800)}));
  ASSERT_TRUE(sink.WaitFor("conversation.item.input_audio_transcription.completed"));
  ASSERT_TRUE(WaitIdle(session));
  EXPECT_EQ(sink.OfType("conversation.item.input_audio_transcription.completed")[0].text, "");
  EXPECT_EQ(sink.Count("response.created"), 0u);
  EXPECT_TRUE(session.History().empty());
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(RealtimeSession, ManualCommitThenResponseCreate) {
  TurnHarness h;
  h.script->answer = "Hello there.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeConfig config = Config();
  config.server_vad = false;
  RealtimeSession session(*h.scheduler, config, sink);
  Stream(session, Concat({SpeechLike(1000), Silence(800)}));
  session.Commit();
  ASSERT_TRUE(sink.WaitFor("conversation.item.input_audio_transcription.completed"));
  EXPECT_EQ(sink.Count("input_audio_buffer.speech_started"), 0u);
  EXPECT_EQ(sink.Count("input_audio_buffer.committed"), 1u);
  EXPECT_EQ(sink.Count("response.created"), 0u);  // no turn detection: no automatic response

  session.CreateResponse();
  ASSERT_TRUE(sink.WaitFor("response.done"));
  EXPECT_EQ(sink.OfType("response.done")[0].status, "completed");
  ASSERT_TRUE(WaitIdle(session));
  EXPECT_EQ(session.History().size(), 2u);
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(RealtimeSession, TextOnlyResponseStreamsTextDeltas) {
  TurnHarness h;
  h.script->answer = "Just text here.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeConfig config = Config();
  config.audio_output = false;
  config.server_vad = false;
  RealtimeSession session(*h.scheduler, config, sink);
  Stream(session, SpeechLike(500));
  session.Commit();
  session.CreateResponse();
  ASSERT_TRUE(sink.WaitFor("response.done"));
  std::string text;
  for (const auto& d : sink.OfType("response.text.delta")) text += d.text;
  EXPECT_EQ(text, "Just text here.");
  EXPECT_EQ(sink.Count("response.audio.delta"), 0u);
  EXPECT_EQ(sink.OfType("response.text.done")[0].text, "Just text here.");
}

TEST(RealtimeSession, ClearEmptiesTheBuffer) {
  TurnHarness h;
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeConfig config = Config();
  config.server_vad = false;
  RealtimeSession session(*h.scheduler, config, sink);
  Stream(session, SpeechLike(500));
  session.Clear();
  EXPECT_EQ(sink.Count("input_audio_buffer.cleared"), 1u);
  session.Commit();  // nothing left to commit
  auto errors = sink.OfType("error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error_code, "input_audio_buffer_commit_empty");
  EXPECT_EQ(sink.Count("input_audio_buffer.committed"), 0u);
}

TEST(RealtimeSession, ClientMistakesAreErrorEvents) {
  TurnHarness h;
  h.script->answer = "one two three four five six seven eight nine ten.";
  h.script->token_delay = std::chrono::milliseconds(20);
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  session.CancelResponse();  // nothing to cancel
  ASSERT_EQ(sink.Count("error"), 1u);
  EXPECT_EQ(sink.OfType("error")[0].error_code, "response_cancel_not_active");
  session.CreateResponse();  // with an empty conversation: the LLM answers anyway
  session.CreateResponse();  // one is already active
  ASSERT_EQ(sink.Count("error"), 2u);
  EXPECT_EQ(sink.OfType("error")[1].error_code, "conversation_already_has_active_response");
  ASSERT_TRUE(sink.WaitFor("response.done"));
}

TEST(RealtimeSession, ResponseCancelStopsGeneration) {
  TurnHarness h;
  h.script->answer = "First sentence here. Then a much longer second sentence that goes on and on and on.";
  h.script->token_delay = std::chrono::milliseconds(20);
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeConfig config = Config();
  config.server_vad = false;
  RealtimeSession session(*h.scheduler, config, sink);
  session.CreateResponse();
  ASSERT_TRUE(sink.WaitFor("response.audio.delta"));
  session.CancelResponse();
  ASSERT_TRUE(sink.WaitFor("response.done"));
  auto done = sink.OfType("response.done")[0];
  EXPECT_EQ(done.status, "cancelled");
  EXPECT_EQ(done.reason, "client_cancelled");
  EXPECT_TRUE(h.script->saw_cancel);
  ASSERT_TRUE(WaitIdle(session));
  auto history = session.History();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].content, "First sentence here.");  // only what was heard
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(RealtimeSession, BargeInCancelsAndKeepsOnlySpokenSentences) {
  TurnHarness h;
  h.script->answer = "Sunny and warm. It will rain later today and again tomorrow.";
  std::atomic<bool> barged{false};
  // The LLM waits (bounded) before "rain" until the user has interrupted, so that the
  // second sentence is certainly not finished when the barge-in comes.
  h.script->before_token = [&](size_t i) {
    for (int k = 0; i == 5 && !barged && k < 2000; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({SpeechLike(800), Silence(700)}));
  ASSERT_TRUE(sink.WaitFor("response.audio.delta"));
  Stream(session, SpeechLike(300));  // the user talks over the answer
  barged = true;
  ASSERT_TRUE(sink.WaitFor("response.done"));
  auto first = sink.OfType("response.done")[0];
  EXPECT_EQ(first.status, "cancelled");
  EXPECT_EQ(first.reason, "turn_detected");
  EXPECT_EQ(first.text, "Sunny and warm.");
  EXPECT_EQ(sink.OfType("response.audio_transcript.done")[0].text, "Sunny and warm.");

  Stream(session, Silence(800));  // the interruption ends: a new turn is answered in full
  ASSERT_TRUE(sink.WaitFor("response.done", 2));
  ASSERT_TRUE(WaitIdle(session));
  EXPECT_EQ(sink.OfType("response.done")[1].status, "completed");
  auto history = session.History();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[1].content, "Sunny and warm.");
  EXPECT_EQ(history[3].content, h.script->answer);
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(RealtimeSession, ClosingMidAnswerReleasesEveryLease) {
  TurnHarness h;
  h.script->answer = "This answer is long. It has many sentences. One more. And another. Still going. The end.";
  h.script->token_delay = std::chrono::milliseconds(30);
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  {
    RealtimeSession session(*h.scheduler, Config(), sink);
    Stream(session, Concat({SpeechLike(800), Silence(700)}));
    ASSERT_TRUE(sink.WaitFor("response.audio.delta"));
    EXPECT_GT(h.TotalLeases(), 0);
  }  // the socket closed
  EXPECT_EQ(h.TotalLeases(), 0);
  EXPECT_TRUE(h.script->saw_cancel);
  EXPECT_TRUE(h.scheduler->CheckInvariants().ok());
}

// With an STT engine that streams, the speech is decoded as it arrives: the commit ends
// the stream instead of transcribing the audio again, and partials come from the stream.
TEST(RealtimeSession, StreamingSttIsFedWhileTheUserSpeaks) {
  TurnHarness h;
  h.script->streams = true;
  h.script->answer = "Sunny.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({Silence(500), SpeechLike(1500), Silence(1000)}));
  ASSERT_TRUE(sink.WaitFor("response.done"));
  ASSERT_TRUE(WaitIdle(session));
  auto completed = sink.OfType("conversation.item.input_audio_transcription.completed");
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].text, "what is the weather like");
  std::string deltas;
  for (const auto& d : sink.OfType("conversation.item.input_audio_transcription.delta")) deltas += d.text;
  EXPECT_EQ(deltas, completed[0].text);
  EXPECT_GE(sink.Count("conversation.item.input_audio_transcription.delta"), 2u);  // partials on the way
  EXPECT_EQ(h.script->whole_transcriptions, 0);
  EXPECT_EQ(h.script->streams_opened, 1);
  EXPECT_EQ(h.script->streams_finished, 1);
  // From the padded speech start (200 ms) to the speculation in the pause: at least the
  // speech itself, never the leading silence that was trimmed.
  EXPECT_GE(h.script->last_stream_samples, 1500u * 16);
  EXPECT_LE(h.script->last_stream_samples, 2500u * 16);
  EXPECT_EQ(session.History()[0].content, "what is the weather like");
  EXPECT_EQ(h.TotalLeases(), 0);
}

TEST(RealtimeSession, ManualCommitEndsTheStreamOfTheWholeBuffer) {
  TurnHarness h;
  h.script->streams = true;
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeConfig config = Config();
  config.server_vad = false;
  RealtimeSession session(*h.scheduler, config, sink);
  Stream(session, Concat({SpeechLike(1000), Silence(600)}));
  session.Commit();
  ASSERT_TRUE(sink.WaitFor("conversation.item.input_audio_transcription.completed"));
  EXPECT_EQ(sink.OfType("conversation.item.input_audio_transcription.completed")[0].text, "what is the weather like");
  EXPECT_EQ(h.script->last_stream_samples, 1600u * 16);  // every sample of the buffer, once
  EXPECT_EQ(h.script->whole_transcriptions, 0);

  Stream(session, SpeechLike(500));  // the next buffer is a new stream
  session.Clear();                   // ... dropped: its decoder and leases are released
  Stream(session, SpeechLike(300));
  session.Commit();
  ASSERT_TRUE(sink.WaitFor("conversation.item.input_audio_transcription.completed", 2));
  EXPECT_EQ(h.script->streams_opened, 3);
  EXPECT_EQ(h.script->last_stream_samples, 300u * 16);
  EXPECT_EQ(h.script->whole_transcriptions, 0);
  EXPECT_TRUE(WaitNoLeases(h));  // nothing answers: the turn ends with its transcript
}

// A pause long enough for the speculation (which ends the stream) but too short to end
// the turn: when the voice comes back, the utterance is streamed again from its start.
TEST(RealtimeSession, VoiceAfterASpeculationRestartsTheStream) {
  TurnHarness h;
  h.script->streams = true;
  h.script->answer = "Yes.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({SpeechLike(800), Silence(300), SpeechLike(800), Silence(1000)}));
  ASSERT_TRUE(sink.WaitFor("response.done"));
  ASSERT_TRUE(WaitIdle(session));
  EXPECT_EQ(sink.Count("input_audio_buffer.committed"), 1u);  // one turn
  EXPECT_GE(h.script->streams_opened, 2);
  EXPECT_GE(h.script->last_stream_samples, 1900u * 16);  // both halves and the pause
  EXPECT_EQ(h.script->whole_transcriptions, 0);
  EXPECT_EQ(h.TotalLeases(), 0);
}

// An engine that cannot stream gets the whole audio at the commit, as before.
TEST(RealtimeSession, EnginesThatDoNotStreamTranscribeTheWholeAudio) {
  TurnHarness h;
  h.script->answer = "Sunny.";
  ASSERT_TRUE(h.Build().ok());
  RecordingSink sink;
  RealtimeSession session(*h.scheduler, Config(), sink);
  Stream(session, Concat({SpeechLike(1500), Silence(1000)}));
  ASSERT_TRUE(sink.WaitFor("response.done"));
  ASSERT_TRUE(WaitIdle(session));
  EXPECT_EQ(h.script->streams_opened, 0);
  EXPECT_GE(h.script->whole_transcriptions, 1);
  EXPECT_EQ(sink.OfType("conversation.item.input_audio_transcription.completed")[0].text, "what is the weather like");
}

}  // namespace
}  // namespace harvis::pipeline
