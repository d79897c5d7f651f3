// Black-box tests of POST /api/voice (SPEC §5), the streaming voice turn: real speech
// (flite) in, pocketsphinx, the Ollama stand-in's tokens, and one espeak WAV per sentence
// out as server-sent events, while the LLM is still writing.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

size_t Count(const std::vector<SseEvent>& events, const std::string& name) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](const SseEvent& e) { return e.event == name; }));
}

// Index of the first (or last) event named `name`; events.size() when there is none.
size_t IndexOf(const std::vector<SseEvent>& events, const std::string& name, bool last = false) {
  size_t found = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].event != name) continue;
    found = i;
    if (!last) break;
  }
  return found;
}

TEST(VoiceRoute, StreamsTranscriptTokensOneWavPerSentenceAndDone) {
  HarvisStack s(30);  // ~1.2 s of tokens: speech must start before they end
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  auto res = s.harvis.Client().Post("/api/voice", Upload(wav));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  const auto events = ParseSse(res->body);
  ASSERT_GE(events.size(), 3u) << res->body;

  // Order: the transcript once, first; done once, last; no error.
  EXPECT_EQ(events.front().event, "transcript");
  EXPECT_EQ(Count(events, "transcript"), 1u);
  EXPECT_EQ(events.back().event, "done") << events.back().data.dump();
  EXPECT_EQ(Count(events, "done"), 1u);
  EXPECT_EQ(Count(events, "error"), 0u);
  const json& transcript = events.front().data;
  const std::string heard = transcript.value("text", "");
  EXPECT_FALSE(heard.empty()) << transcript.dump();
  EXPECT_TRUE(transcript.contains("language") && transcript["language"].is_string()) << transcript.dump();
  ASSERT_TRUE(transcript.contains("duration") && transcript["duration"].is_number()) << transcript.dump();
  EXPECT_GT(transcript["duration"].get<double>(), 0);

  // Speech starts while the LLM still writes.
  const size_t first_audio = IndexOf(events, "audio"), last_token = IndexOf(events, "token", /*last=*/true);
  ASSERT_LT(first_audio, events.size());
  ASSERT_LT(last_token, events.size());
  EXPECT_LT(first_audio, last_token);

  // Tokens add up to the answer; one WAV per sentence, in order, covering every word.
  const json& done = events.back().data;
  const std::string answer = done.value("answer", "");
  std::string tokens, spoken;
  size_t next_index = 0;
  for (const auto& e : events) {
    if (e.event == "token") tokens += e.data.value("content", "");
    if (e.event != "audio") continue;
    SCOPED_TRACE("audio event " + std::to_string(next_index));
    EXPECT_EQ(e.data.value("index", -1), static_cast<int>(next_index));
    ++next_index;
    EXPECT_EQ(e.data.value("format", ""), "wav");
    spoken += e.data.value("text", "") + " ";
    const WavInfo wav_info = ReadWavInfo(Base64Decode(e.data.value("audio", "")));
    EXPECT_TRUE(wav_info.valid);
    EXPECT_GT(wav_info.data_bytes, 0u);
    EXPECT_EQ(wav_info.sample_rate, e.data.value("sample_rate", -1));
  }
  EXPECT_EQ(tokens, answer);
  EXPECT_EQ(answer.rfind("You said: " + heard, 0), 0u) << answer;
  EXPECT_EQ(Words(spoken), Words(answer));
  EXPECT_EQ(Count(events, "audio"), 6u);  // the echo and the stand-in's five sentences
  EXPECT_EQ(done.value("sentences", -1), 6);

  const json timings = done.value("timings", json::object());
  for (const char* t : {"stt_ms", "first_token_ms", "first_audio_ms", "total_ms"}) {
    ASSERT_TRUE(timings.contains(t) && timings[t].is_number()) << t << " in " << done.dump();
    EXPECT_GE(timings[t].get<double>(), 0) << t;
  }
  EXPECT_LE(timings["first_audio_ms"].get<double>(), timings["total_ms"].get<double>());
  EXPECT_LE(timings["first_token_ms"].get<double>(), timings["total_ms"].get<double>());

  // The turn's leases are released.
  EXPECT_TRUE(WaitFor([&] { return LeasesHeld(s.harvis) == 0; })) << GetJson(s.harvis, "/api/ps").dump();
}

TEST(VoiceRoute, HistoryAndNamedModelsReachThePipeline) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  const json history = {{{"role", "user"}, {"content", "call me Grace"}}, {{"role", "assistant"}, {"content", "Sure."}}};
  auto res = s.harvis.Client().Post(
      "/api/voice", Upload(wav, {{"history", history.dump(), "", ""}, {"model", "llama3.2:3b", "", ""},
                                 {"stt_model", "pocketsphinx", "", ""}, {"tts_model", "flite", "", ""}}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto events = ParseSse(res->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "done") << res->body.substr(0, 2000);
  const size_t audio = IndexOf(events, "audio");
  ASSERT_LT(audio, events.size());
  const int rate = events[audio].data.value("sample_rate", 0);
  EXPECT_TRUE(rate == 8000 || rate == 16000) << rate;  // flite, not espeak's 22050

  const json messages = s.ollama.LastRequest()["body"].value("messages", json::array());
  ASSERT_GE(messages.size(), 3u) << s.ollama.LastRequest().dump();
  EXPECT_EQ(messages[messages.size() - 3].value("content", ""), "call me Grace");
  EXPECT_EQ(messages[messages.size() - 2].value("content", ""), "Sure.");
  EXPECT_EQ(messages.back().value("content", ""), events.front().data.value("text", "?"));
}

TEST(VoiceRoute, ErrorsBeforeStreamingArePlainHttpErrors) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  struct Case {
    const char* what;
    httplib::MultipartFormDataItems items;
    int status;
    std::string code;  // empty: any
  };
  const std::vector<Case> cases = {
      {"no file", {{"model", "llama3.2:3b", "", ""}}, 400, ""},
      {"unknown stt_model", Upload(wav, {{"stt_model", "no-such-stt", "", ""}}), 404, "model_not_found"},
      {"LLM as stt_model", Upload(wav, {{"stt_model", "llama3.2:3b", "", ""}}), 400, "invalid_model"},
      {"unknown model", Upload(wav, {{"model", "no-such-llm", "", ""}}), 404, "model_not_found"},
      {"TTS as model", Upload(wav, {{"model", "espeak", "", ""}}), 400, "invalid_model"},
      {"unknown tts_model", Upload(wav, {{"tts_model", "no-such-tts", "", ""}}), 404, ""},
      {"bad history", Upload(wav, {{"history", "not json", "", ""}}), 400, ""},
      {"silence", Upload(SilenceWav(1.5)), 422, ""},
      {"empty file", Upload(""), 422, ""},
      {"garbage bytes", Upload("this is certainly not audio, just some text bytes"), 415, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto res = s.harvis.Client().Post("/api/voice", c.items);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.status) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
    const json j = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
    if (!c.code.empty()) {
      EXPECT_EQ(j["error"].value("code", ""), c.code);
    }
  }
  auto res = s.harvis.Client().Post("/api/voice", "{\"file\": \"x\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415) << res->body;
  EXPECT_FALSE(s.ollama.PromptReceived()) << "nothing may reach the LLM: " << s.ollama.LastRequest().dump();
}

// The LLM is leased once the stream has begun (after the transcript), so Ollama being
// down is an in-stream `error` event; the server stays up and holds no lease.
TEST(VoiceRoute, OllamaDownIsAnErrorEventAfterTheTranscript) {
  HarvisProcess harvis(HarvisProcess::Options{
      "ollama: { url: \"http://127.0.0.1:" + std::to_string(ClosedPort()) + "\" }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  const std::string wav = SpeechWav(harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  auto res = harvis.Client().Post("/api/voice", Upload(wav));
  ASSERT_TRUE(res) << harvis.Log();
  ASSERT_EQ(res->status, 200) << res->body;
  const auto events = ParseSse(res->body);
  ASSERT_EQ(events.size(), 2u) << res->body;
  EXPECT_EQ(events[0].event, "transcript");
  EXPECT_EQ(events[1].event, "error");
  EXPECT_EQ(events[1].data["error"].value("code", ""), "service_unavailable") << events[1].data.dump();
  EXPECT_EQ(harvis.Client().Get("/healthz")->status, 200);
  EXPECT_TRUE(WaitFor([&] { return LeasesHeld(harvis) == 0; })) << GetJson(harvis, "/api/ps").dump();
}

// A failure mid-turn (here the TTS engine refusing an unknown voice at the first
// sentence) ends the stream with an `error` event instead of `done`, and frees the turn.
TEST(VoiceRoute, AFailureMidTurnEndsTheStreamWithAnErrorEvent) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  auto res = s.harvis.Client().Post("/api/voice", Upload(wav, {{"voice", "no-such-voice", "", ""}}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto events = ParseSse(res->body);
  ASSERT_GE(events.size(), 2u) << res->body;
  EXPECT_EQ(events.front().event, "transcript");
  EXPECT_EQ(events.back().event, "error") << res->body.substr(0, 2000);
  EXPECT_EQ(Count(events, "done"), 0u);
  EXPECT_EQ(Count(events, "audio"), 0u);
  const json& error = events.back().data;
  ASSERT_TRUE(error.contains("error") && error["error"].is_object()) << error.dump();
  EXPECT_FALSE(error["error"].value("message", "").empty()) << error.dump();
  EXPECT_TRUE(WaitFor([&] { return LeasesHeld(s.harvis) == 0; })) << GetJson(s.harvis, "/api/ps").dump();
  EXPECT_EQ(s.harvis.Client().Get("/healthz")->status, 200);
}

TEST(VoiceRoute, AClientThatGoesAwayStopsTheTurn) {
  HarvisStack s(5);  // 37 tokens: ~7 s, far longer than the test waits for a cut
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  const std::string boundary = "----harvis-voice-test-boundary";
  RawConnection conn(s.harvis.port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(PostRequest("/api/voice", "multipart/form-data; boundary=" + boundary,
                                    MultipartBody(Upload(wav), boundary))));
  ASSERT_TRUE(conn.ReadUntil([](const std::string& r) { return Occurrences(r, "event: token") >= 2; }, 60s))
      << conn.received();
  EXPECT_EQ(conn.received().rfind("HTTP/1.1 200", 0), 0u) << conn.received().substr(0, 200);
  EXPECT_NE(conn.received().find("event: transcript"), std::string::npos);
  ASSERT_FALSE(s.ollama.StreamCut()) << s.ollama.Stats().dump();
  conn.Close();

  // Harvis stops reading from Ollama (the stand-in sees the stream cut) ...
  EXPECT_TRUE(WaitFor([&] { return s.ollama.StreamCut(); }, 15s)) << s.ollama.Stats().dump();
  EXPECT_EQ(s.ollama.Stats().value("streams_completed", -1), 0) << s.ollama.Stats().dump();
  // ... and ends the turn: no model stays leased.
  EXPECT_TRUE(WaitFor([&] { return LeasesHeld(s.harvis) == 0; }, 15s)) << GetJson(s.harvis, "/api/ps").dump();

  // Still serving.
  auto health = s.harvis.Client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto speech = s.harvis.Client().Post("/api/synthesize-speech", R"({"text": "Still here."})", "application/json");
  ASSERT_TRUE(speech);
  EXPECT_EQ(speech->status, 200) << speech->body;
}

}  // namespace
}  // namespace harvis::testing
