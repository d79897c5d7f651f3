// Black-box tests of the Harvis-compatible routes (SPEC §5): /api/chat, /api/mic-chat,
// /api/voice-transcribe, /api/synthesize-speech, /api/audio/{id}, /api/tts-engines and
// /api/tts-engine, against the real harvis binary with its built-in models (pocketsphinx,
// espeak, flite, and llama3.2:3b served by the Ollama stand-in on loopback).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <cctype>
#include <vector>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One HTTP answer, its body also parsed as JSON (null when it is not JSON).
struct Answer {
  int status = 0;
  std::string content_type;
  std::string body;
  json j;
  std::string code() const { return j.is_object() && j.contains("error") ? j["error"].value("code", "") : ""; }
};

Answer ToAnswer(const httplib::Result& res) {
  Answer a;
  if (!res) return a;
  a.status = res->status;
  a.content_type = res->get_header_value("Content-Type");
  a.body = res->body;
  a.j = json::parse(res->body, nullptr, false);
  if (a.j.is_discarded()) a.j = json();
  return a;
}

Answer PostBody(const HarvisProcess& h, const std::string& path, const std::string& body) {
  return ToAnswer(h.Client().Post(path, body, "application/json"));
}
Answer PostJson(const HarvisProcess& h, const std::string& path, const json& body) {
  return PostBody(h, path, body.dump());
}
Answer PostForm(const HarvisProcess& h, const std::string& path, const httplib::MultipartFormDataItems& items) {
  return ToAnswer(h.Client().Post(path, items));
}
Answer Get(const HarvisProcess& h, const std::string& path) { return ToAnswer(h.Client().Get(path)); }

// The statuses of /api/chat's frames in order, runs of one status collapsed:
// "starting,processing,streaming,generating_audio,complete".
std::string StatusSequence(const std::vector<SseEvent>& frames) {
  std::string out, last;
  for (const auto& f : frames) {
    const std::string s = f.data.is_object() ? f.data.value("status", "?") : "?";
    if (s == last) continue;
    out += (out.empty() ? "" : ",") + s;
    last = s;
  }
  return out;
}

std::string StreamedContent(const std::vector<SseEvent>& frames) {
  std::string out;
  for (const auto& f : frames) {
    if (f.data.is_object() && f.data.value("status", "") == "streaming") out += f.data.value("content", "");
  }
  return out;
}

json History(std::initializer_list<std::pair<const char*, const char*>> messages) {
  json out = json::array();
  for (const auto& [role, content] : messages) out.push_back({{"role", role}, {"content", content}});
  return out;
}

// Fetches an audio path and returns its WAV header (invalid when not 200 audio/wav).
WavInfo FetchWav(const HarvisProcess& h, const std::string& path, std::string* bytes = nullptr) {
  Answer a = Get(h, path);
  if (a.status != 200 || a.content_type.find("audio/wav") == std::string::npos) return {};
  if (bytes) *bytes = a.body;
  return ReadWavInfo(a.body);
}

const std::regex kAudioPath("/api/audio/[0-9a-f]{32}\\.wav");

// ---------------------------------------------------------------- POST /api/chat

TEST(HarvisRoutesChat, StreamsStatusFramesAndCompletesWithStoredSpeech) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = PostJson(s.harvis, "/api/chat", {{"message", "hello there"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.content_type.find("text/event-stream"), std::string::npos) << a.content_type;
  const auto frames = ParseSse(a.body);
  ASSERT_FALSE(frames.empty()) << a.body;
  EXPECT_EQ(StatusSequence(frames), "starting,processing,streaming,generating_audio,complete") << a.body;

  const json& done = frames.back().data;
  ASSERT_EQ(done.value("status", ""), "complete") << done.dump();
  const std::string answer = done.value("final_answer", "");
  EXPECT_EQ(StreamedContent(frames), answer);
  EXPECT_EQ(answer.rfind("You said: hello there. ", 0), 0u) << answer;
  EXPECT_EQ(done["history"], History({{"user", "hello there"}, {"assistant", answer.c_str()}}));

  const std::string path = done.value("audio_path", "");
  ASSERT_TRUE(std::regex_match(path, kAudioPath)) << path;
  const WavInfo wav = FetchWav(s.harvis, path);
  EXPECT_TRUE(wav.valid) << path;
  EXPECT_GT(wav.data_bytes, 0u);
}

TEST(HarvisRoutesChat, PassesTheHistoryToTheLlmAndReturnsItExtended) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const json history = History({{"user", "my name is Ada"}, {"assistant", "Hello Ada."}});
  Answer a = PostJson(s.harvis, "/api/chat", {{"message", "what is my name"}, {"history", history}, {"text_only", true}});
  ASSERT_EQ(a.status, 200) << a.body;
  const auto frames = ParseSse(a.body);
  // text_only: no speech, so no generating_audio frame and no audio_path.
  EXPECT_EQ(StatusSequence(frames), "starting,processing,streaming,complete") << a.body;
  ASSERT_FALSE(frames.empty());
  const json& done = frames.back().data;
  EXPECT_FALSE(done.contains("audio_path")) << done.dump();
  const std::string answer = done.value("final_answer", "");
  json expected = history;
  expected.push_back({{"role", "user"}, {"content", "what is my name"}});
  expected.push_back({{"role", "assistant"}, {"content", answer}});
  EXPECT_EQ(done["history"], expected);

  // The stand-in saw the earlier exchange, then the new message.
  const json last = s.ollama.LastRequest();
  ASSERT_TRUE(last.contains("body")) << last.dump();
  const json messages = last["body"].value("messages", json::array());
  ASSERT_GE(messages.size(), 3u) << last.dump();
  const size_t n = messages.size();
  EXPECT_EQ(messages[n - 3].value("content", ""), "my name is Ada") << last.dump();
  EXPECT_EQ(messages[n - 2].value("role", ""), "assistant");
  EXPECT_EQ(messages[n - 2].value("content", ""), "Hello Ada.");
  EXPECT_EQ(messages[n - 1].value("content", ""), "what is my name");
}

TEST(HarvisRoutesChat, RejectsBadRequestsBeforeStreaming) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  struct Case {
    std::string body;
    int status;
    std::string code;  // empty: any
  };
  const std::vector<Case> cases = {
      {"{\"message\": \"hi\"", 400, ""},                                            // malformed JSON
      {"[1, 2]", 400, ""},                                                          // not an object
      {R"({})", 400, ""},                                                           // no message
      {R"({"message": ""})", 400, ""},                                              // empty message
      {R"({"message": "  \n"})", 400, ""},                                          // blank message
      {R"({"message": 5})", 400, ""},                                               // wrong type
      {R"({"message": "hi", "text_only": "yes"})", 400, ""},                        // not a boolean
      {R"({"message": "hi", "low_vram": 1})", 400, ""},                             // not a boolean
      {R"({"message": "hi", "history": "x"})", 400, ""},                            // not a list
      {R"({"message": "hi", "history": [{"content": "no role"}]})", 400, ""},       // item without role
      {R"({"message": "hi", "model": 7})", 400, ""},                                // model not a string
      {R"({"message": "hi", "model": "no-such-llm"})", 404, "model_not_found"},     // unknown model
      {R"({"message": "hi", "model": "espeak"})", 400, "invalid_model"},            // a TTS model
      {R"({"message": "hi", "model": "pocketsphinx"})", 400, "invalid_model"},      // an STT model
      {R"({"message": "hi", "tts_engine": "no-such-voice"})", 404, ""},             // unknown TTS
      {R"({"message": "hi", "tts_engine": "pocketsphinx"})", 400, ""},              // STT as TTS
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Answer a = PostBody(s.harvis, "/api/chat", c.body);
    EXPECT_EQ(a.status, c.status) << a.body;
    EXPECT_EQ(a.content_type.find("text/event-stream"), std::string::npos) << a.content_type;
    ASSERT_TRUE(a.j.is_object() && a.j.contains("error")) << a.body;
    if (!c.code.empty()) {
      EXPECT_EQ(a.code(), c.code) << a.body;
    }
  }
  // Nothing reached the LLM.
  EXPECT_FALSE(s.ollama.PromptReceived()) << s.ollama.LastRequest().dump();
}

// The LLM is leased (loaded in Ollama) in ChatTurn::Start, before the first byte of the
// stream: Ollama being down is a plain 503 with Retry-After, not an in-stream frame.
TEST(HarvisRoutesChat, OllamaDownIsA503BeforeStreaming) {
  HarvisProcess harvis(HarvisProcess::Options{
      "ollama: { url: \"http://127.0.0.1:" + std::to_string(ClosedPort()) + "\" }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  for (const json& body : {json{{"message", "hello"}}, json{{"message", "hello"}, {"text_only", true}}}) {
    SCOPED_TRACE(body.dump());
    auto res = harvis.Client().Post("/api/chat", body.dump(), "application/json");
    ASSERT_TRUE(res) << "no answer: " << harvis.Log();
    EXPECT_EQ(res->status, 503) << res->body;
    EXPECT_TRUE(res->has_header("Retry-After"));
    EXPECT_EQ(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
    const json j = json::parse(res->body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error")) << res->body;
  }
  Answer health = Get(harvis, "/healthz");
  EXPECT_EQ(health.status, 200) << harvis.Log();
}

TEST(HarvisRoutesChat, LowVramUnloadsTheTurnsModelsAfterwards) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = PostJson(s.harvis, "/api/chat", {{"message", "hello"}, {"low_vram", true}});
  ASSERT_EQ(a.status, 200) << a.body;
  const auto frames = ParseSse(a.body);
  ASSERT_FALSE(frames.empty());
  ASSERT_EQ(frames.back().data.value("status", ""), "complete") << a.body;
  EXPECT_TRUE(frames.back().data.contains("audio_path"));

  const auto resident = Resident(s.harvis);
  EXPECT_FALSE(resident.count("llama3.2:3b")) << GetJson(s.harvis, "/api/ps").dump();
  EXPECT_FALSE(resident.count("espeak")) << GetJson(s.harvis, "/api/ps").dump();
  // Ollama was told to unload it (keep_alive 0).
  EXPECT_TRUE(s.ollama.Loaded().empty());
  EXPECT_GE(s.ollama.Stats().value("unloads", 0), 1) << s.ollama.Stats().dump();
}

TEST(HarvisRoutesChat, WithoutLowVramTheModelsStayResident) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = PostJson(s.harvis, "/api/chat", {{"message", "hello"}});
  ASSERT_EQ(a.status, 200) << a.body;
  const auto resident = Resident(s.harvis);
  EXPECT_TRUE(resident.count("llama3.2:3b")) << GetJson(s.harvis, "/api/ps").dump();
  EXPECT_TRUE(resident.count("espeak")) << GetJson(s.harvis, "/api/ps").dump();
  for (const auto& [name, m] : resident) EXPECT_EQ(m.value("leases", -1), 0) << name;
}

TEST(HarvisRoutesChat, AClientThatGoesAwayStopsTheTurn) {
  HarvisStack s(5);  // 37 tokens: ~7 s, far longer than the test waits for a cut
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  RawConnection conn(s.harvis.port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.Send(PostRequest("/api/chat", "application/json", R"({"message": "hello there"})")));
  ASSERT_TRUE(conn.ReadUntil([](const std::string& r) { return Occurrences(r, R"("status":"streaming")") >= 2; }, 60s))
      << conn.received();
  ASSERT_FALSE(s.ollama.StreamCut()) << s.ollama.Stats().dump();
  conn.Close();

  EXPECT_TRUE(WaitFor([&] { return s.ollama.StreamCut(); }, 15s)) << s.ollama.Stats().dump();
  EXPECT_EQ(s.ollama.Stats().value("streams_completed", -1), 0) << s.ollama.Stats().dump();
  EXPECT_TRUE(WaitFor([&] { return LeasesHeld(s.harvis) == 0; }, 15s)) << GetJson(s.harvis, "/api/ps").dump();
  EXPECT_EQ(Get(s.harvis, "/healthz").status, 200);
}

// ---------------------------------------------------------------- POST /api/mic-chat

TEST(HarvisRoutesMicChat, TranscribesAnswersAndSpeaks) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  Answer a = PostForm(s.harvis, "/api/mic-chat", Upload(wav));
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string transcription = a.j.value("transcription", "");
  const std::string answer = a.j.value("final_answer", "");
  EXPECT_FALSE(transcription.empty()) << a.body;
  EXPECT_EQ(answer.rfind("You said: " + transcription, 0), 0u) << a.body;
  EXPECT_EQ(a.j.value("model", ""), "llama3.2:3b");
  EXPECT_EQ(a.j["history"], History({{"user", transcription.c_str()}, {"assistant", answer.c_str()}}));
  const std::string path = a.j.value("audio_path", "");
  ASSERT_TRUE(std::regex_match(path, kAudioPath)) << a.body;
  EXPECT_TRUE(FetchWav(s.harvis, path).valid) << path;
}

TEST(HarvisRoutesMicChat, TextOnlyWithHistoryReachesTheLlmAndHasNoAudio) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  const json history = History({{"user", "remember the word banana"}, {"assistant", "Noted."}});
  Answer a = PostForm(s.harvis, "/api/mic-chat",
                      Upload(wav, {{"history", history.dump(), "", ""}, {"text_only", "true", "", ""}}));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_FALSE(a.j.contains("audio_path")) << a.body;
  const std::string transcription = a.j.value("transcription", "");
  json expected = history;
  expected.push_back({{"role", "user"}, {"content", transcription}});
  expected.push_back({{"role", "assistant"}, {"content", a.j.value("final_answer", "")}});
  EXPECT_EQ(a.j["history"], expected);
  const json messages = s.ollama.LastRequest()["body"].value("messages", json::array());
  ASSERT_GE(messages.size(), 3u) << s.ollama.LastRequest().dump();
  EXPECT_EQ(messages[messages.size() - 3].value("content", ""), "remember the word banana");
  EXPECT_EQ(messages.back().value("content", ""), transcription);
}

TEST(HarvisRoutesMicChat, RejectsBadUploadsAndFields) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  struct Case {
    const char* what;
    httplib::MultipartFormDataItems items;
    int status;
  };
  const std::vector<Case> cases = {
      {"no file", {{"model", "llama3.2:3b", "", ""}}, 400},
      {"empty file", Upload(""), 422},
      {"garbage bytes", Upload("this is certainly not audio, just some text bytes"), 415},
      {"silence", Upload(SilenceWav(1.5)), 422},
      {"bad history JSON", Upload(wav, {{"history", "[{\"role\": ", "", ""}}), 400},
      {"history not a list", Upload(wav, {{"history", "{\"role\": \"user\"}", "", ""}}), 400},
      {"low_vram maybe", Upload(wav, {{"low_vram", "maybe", "", ""}}), 400},
      {"text_only yes", Upload(wav, {{"text_only", "yes", "", ""}}), 400},
      {"unknown model", Upload(wav, {{"model", "no-such-llm", "", ""}}), 404},
      {"unknown stt_model", Upload(wav, {{"stt_model", "no-such-stt", "", ""}}), 404},
      {"unknown tts_engine", Upload(wav, {{"tts_engine", "no-such-tts", "", ""}}), 404},
      {"LLM as stt_model", Upload(wav, {{"stt_model", "llama3.2:3b", "", ""}}), 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Answer a = PostForm(s.harvis, "/api/mic-chat", c.items);
    EXPECT_EQ(a.status, c.status) << a.body;
    EXPECT_TRUE(a.j.is_object() && a.j.contains("error")) << a.body;
  }
  Answer a = PostJson(s.harvis, "/api/mic-chat", {{"file", "not multipart"}});
  EXPECT_EQ(a.status, 415) << a.body;
  // No request reached the LLM.
  EXPECT_FALSE(s.ollama.PromptReceived()) << s.ollama.LastRequest().dump();
}

// ---------------------------------------------------------------- POST /api/voice-transcribe

TEST(HarvisRoutesVoiceTranscribe, TranscribesWithTheDefaultOrNamedSttModel) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  const std::vector<std::pair<std::string, httplib::MultipartFormDataItems>> requests = {
      {"/api/voice-transcribe", Upload(wav)},
      {"/api/voice-transcribe", Upload(wav, {{"model", "pocketsphinx", "", ""}, {"language", "en", "", ""}})},
      {"/api/voice-transcribe?model=pocketsphinx", Upload(wav)},
  };
  for (const auto& [path, items] : requests) {
    SCOPED_TRACE(path);
    Answer a = PostForm(s.harvis, path, items);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_FALSE(a.j.value("transcription", "").empty()) << a.body;
    EXPECT_EQ(a.j.value("model_used", ""), "pocketsphinx");
    EXPECT_TRUE(a.j.contains("language") && a.j["language"].is_string()) << a.body;
    ASSERT_TRUE(a.j.contains("duration") && a.j["duration"].is_number()) << a.body;
    EXPECT_GT(a.j["duration"].get<double>(), 0.5) << a.body;  // the clip is ~2 s of speech
  }
}

TEST(HarvisRoutesVoiceTranscribe, RejectsBadUploadsAndModels) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string wav = SpeechWav(s.harvis, kSpokenText);
  ASSERT_FALSE(wav.empty());
  struct Case {
    std::string what, path;
    httplib::MultipartFormDataItems items;
    int status;
  };
  const std::vector<Case> cases = {
      {"no file", "/api/voice-transcribe", {{"model", "pocketsphinx", "", ""}}, 400},
      {"empty file", "/api/voice-transcribe", Upload(""), 422},
      {"garbage bytes", "/api/voice-transcribe", Upload("this is certainly not audio, just some text bytes"), 415},
      {"unknown model", "/api/voice-transcribe", Upload(wav, {{"model", "no-such-stt", "", ""}}), 404},
      {"unknown model (query)", "/api/voice-transcribe?model=no-such-stt", Upload(wav), 404},
      {"LLM as model", "/api/voice-transcribe", Upload(wav, {{"model", "llama3.2:3b", "", ""}}), 400},
      {"TTS as model", "/api/voice-transcribe?model=espeak", Upload(wav), 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Answer a = PostForm(s.harvis, c.path, c.items);
    EXPECT_EQ(a.status, c.status) << a.body;
    EXPECT_TRUE(a.j.is_object() && a.j.contains("error")) << a.body;
  }
  Answer a = PostJson(s.harvis, "/api/voice-transcribe", {{"file", "x"}});
  EXPECT_EQ(a.status, 415) << a.body;
}

// Transcription only has no "no speech" rule (unlike the chats): silence is either an
// empty transcription or 422, never a made-up text or a server error.
TEST(HarvisRoutesVoiceTranscribe, SilenceGivesNoText) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = PostForm(s.harvis, "/api/voice-transcribe", Upload(SilenceWav(1.5)));
  if (a.status == 200) {
    EXPECT_EQ(a.j.value("transcription", "?"), "") << a.body;
  } else {
    EXPECT_EQ(a.status, 422) << a.body;
  }
}

// ---------------------------------------------------------------- POST /api/synthesize-speech

TEST(HarvisRoutesSynthesizeSpeech, StoresSpeechByEngineOrModelName) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  struct Case {
    json body;
    std::string model;
  };
  const std::vector<Case> cases = {
      {{{"text", "Hello from the default engine."}}, "espeak"},
      {{{"text", "Hello from flite."}, {"tts_engine", "flite"}}, "flite"},
      {{{"text", "Hello from flite by model."}, {"model", "flite"}, {"voice", "nova"}, {"speed", 1.5}}, "flite"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    Answer a = PostJson(s.harvis, "/api/synthesize-speech", c.body);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.j.value("model_used", ""), c.model);
    const std::string path = a.j.value("audio_path", "");
    ASSERT_TRUE(std::regex_match(path, kAudioPath)) << a.body;
    ASSERT_TRUE(a.j.contains("duration") && a.j["duration"].is_number()) << a.body;
    EXPECT_GT(a.j["duration"].get<double>(), 0) << a.body;
    const WavInfo wav = FetchWav(s.harvis, path);
    ASSERT_TRUE(wav.valid) << path;
    EXPECT_EQ(wav.sample_rate, a.j.value("sample_rate", -1));
  }
}

// With a TTS model named differently from its engine, both names select it.
TEST(HarvisRoutesSynthesizeSpeech, AnEngineNameSelectsItsModel) {
  StandinProcess ollama("llama3.2:3b=2GiB", 200);
  ASSERT_TRUE(ollama.running());
  HarvisProcess harvis(HarvisProcess::Options{
      "ollama: { url: \"" + ollama.url() + "\" }\n"
      "defaults: { stt: pocketsphinx, tts: narrator, llm: \"llama3.2:3b\" }\n"
      "models:\n"
      "  - { name: pocketsphinx, kind: stt, engine: pocketsphinx }\n"
      "  - { name: narrator, kind: tts, engine: flite }\n"
      "  - { name: \"llama3.2:3b\", kind: llm, engine: ollama }\n",
      {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  for (const json& body : {json{{"text", "One."}, {"tts_engine", "flite"}}, json{{"text", "Two."}, {"model", "narrator"}},
                           json{{"text", "Three."}}}) {
    SCOPED_TRACE(body.dump());
    Answer a = PostJson(harvis, "/api/synthesize-speech", body);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.j.value("model_used", ""), "narrator");
  }
  Answer a = PostJson(harvis, "/api/synthesize-speech", {{"text", "Four."}, {"tts_engine", "espeak"}});
  EXPECT_EQ(a.status, 404) << a.body;  // no model of that engine is configured
}

TEST(HarvisRoutesSynthesizeSpeech, RejectsBadRequests) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  struct Case {
    std::string what, body;
    int status;
  };
  const std::vector<Case> cases = {
      {"malformed JSON", "{\"text\": ", 400},
      {"no text", R"({"tts_engine": "espeak"})", 400},
      {"empty text", R"({"text": ""})", 400},
      {"text not a string", R"({"text": 42})", 400},
      {"text too long", json{{"text", std::string(20001, 'a')}}.dump(), 400},
      {"speed 9", R"({"text": "hello", "speed": 9})", 400},
      {"speed 0", R"({"text": "hello", "speed": 0})", 400},
      {"speed a string", R"({"text": "hello", "speed": "fast"})", 400},
      {"unknown engine", R"({"text": "hello", "tts_engine": "no-such-tts"})", 404},
      {"unknown model", R"({"text": "hello", "model": "no-such-tts"})", 404},
      {"STT model as engine", R"({"text": "hello", "tts_engine": "pocketsphinx"})", 400},
      {"LLM as model", R"({"text": "hello", "model": "llama3.2:3b"})", 400},
      {"nothing speakable", json{{"text", "```\ncode\n```"}}.dump(), 400},
      {"unknown voice", R"({"text": "hello", "voice": "no-such-voice"})", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Answer a = PostBody(s.harvis, "/api/synthesize-speech", c.body);
    EXPECT_EQ(a.status, c.status) << a.body;
    EXPECT_TRUE(a.j.is_object() && a.j.contains("error")) << a.body;
  }
  // Exactly the limit is accepted.
  Answer a = PostJson(s.harvis, "/api/synthesize-speech", {{"text", std::string(20000 - 6, ' ') + "Hello."}});
  EXPECT_EQ(a.status, 200) << a.body;
}

// ---------------------------------------------------------------- GET /api/audio/{id}

// Synthesizes `text` and returns its audio_path ("" on failure).
std::string StoreClip(const HarvisProcess& h, const std::string& text) {
  Answer a = PostJson(h, "/api/synthesize-speech", {{"text", text}});
  return a.status == 200 ? a.j.value("audio_path", "") : "";
}

TEST(HarvisRoutesAudio, ServesStoredAudioWithOrWithoutTheSuffix) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string path = StoreClip(s.harvis, "A clip to fetch.");
  ASSERT_TRUE(std::regex_match(path, kAudioPath)) << path;
  std::string with_suffix, without_suffix;
  EXPECT_TRUE(FetchWav(s.harvis, path, &with_suffix).valid);
  EXPECT_TRUE(FetchWav(s.harvis, path.substr(0, path.size() - 4), &without_suffix).valid);
  EXPECT_EQ(with_suffix, without_suffix);
  // Twice is fine: fetching does not consume it.
  EXPECT_TRUE(FetchWav(s.harvis, path).valid);
}

TEST(HarvisRoutesAudio, UnknownMalformedAndHostileIdsAre404) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string path = StoreClip(s.harvis, "A clip.");
  ASSERT_TRUE(std::regex_match(path, kAudioPath)) << path;
  const std::string id = path.substr(std::string("/api/audio/").size(), 32);
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, id) << "the id has no letter to upper-case";  // 32 hex digits: practically never

  const std::vector<std::string> targets = {
      "/api/audio/0123456789abcdef0123456789abcdef",   // well-formed, never issued
      "/api/audio/0123456789abcdef0123456789abcdef.wav",
      "/api/audio/" + upper,                           // ids are lowercase hex
      "/api/audio/" + upper + ".wav",
      "/api/audio/" + id.substr(0, 31),                // 31 characters
      "/api/audio/" + id + "0",                        // 33 characters
      "/api/audio/" + id + ".mp3",
      "/api/audio/" + id + ".wav.wav",
      "/api/audio/..",
      "/api/audio/..%2F..%2Fetc%2Fpasswd",
      "/api/audio/%2e%2e%2f",
      "/api/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/api/audio//etc/passwd",
      "/api/audio/../../etc/passwd",
      "/api/audio/..%5c..%5cetc%5cpasswd",
      "/api/audio/%00",
  };
  for (const auto& target : targets) {
    SCOPED_TRACE(target);
    RawResponse r = RawGet(s.harvis.port(), target);
    EXPECT_EQ(r.status, 404) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << r.body;
  }
  // The stored clip is still there (and the server alive).
  EXPECT_EQ(RawGet(s.harvis.port(), path).status, 200);
}

TEST(HarvisRoutesAudio, AudioExpiresAfterItsTtl) {
  HarvisStack s(200, "audio_store: { ttl: 2s }\n");
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  const std::string path = StoreClip(s.harvis, "A short lived clip.");
  ASSERT_TRUE(std::regex_match(path, kAudioPath)) << path;
  EXPECT_EQ(Get(s.harvis, path).status, 200);
  EXPECT_TRUE(WaitFor([&] { return Get(s.harvis, path).status == 404; }, 20s));
  Answer a = Get(s.harvis, path);
  EXPECT_EQ(a.code(), "audio_not_found") << a.body;
}

TEST(HarvisRoutesAudio, TheOldestClipIsEvictedAtTheSizeCap) {
  HarvisStack s(200, "audio_store: { max_bytes: 300KiB }\n");
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  std::vector<std::string> paths;
  size_t stored_bytes = 0;
  for (int i = 0; i < 12 && stored_bytes <= 2 * 300 * 1024; ++i) {
    const std::string path = StoreClip(s.harvis, "This is clip number " + std::to_string(i) + " of the store test.");
    ASSERT_TRUE(std::regex_match(path, kAudioPath)) << path;
    std::string bytes;
    ASSERT_TRUE(FetchWav(s.harvis, path, &bytes).valid) << "the newest clip must be there: " << path;
    ASSERT_LT(bytes.size(), 300u * 1024) << "one clip alone must fit the cap";
    stored_bytes += bytes.size();
    paths.push_back(path);
  }
  ASSERT_GT(stored_bytes, 300u * 1024);
  EXPECT_EQ(Get(s.harvis, paths.front()).status, 404);
  EXPECT_EQ(Get(s.harvis, paths.back()).status, 200);
}

// ---------------------------------------------------------------- /api/tts-engines, /api/tts-engine

TEST(HarvisRoutesTtsEngines, ListsTheTtsModelsWithTheCurrentDefault) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = Get(s.harvis, "/api/tts-engines");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.j.value("current", ""), "espeak");
  ASSERT_TRUE(a.j.contains("engines") && a.j["engines"].is_array()) << a.body;
  std::vector<std::string> names;
  for (const auto& e : a.j["engines"]) {
    for (const char* field : {"name", "engine", "state", "device", "default", "voices"}) {
      EXPECT_TRUE(e.contains(field)) << field << " missing in " << e.dump();
    }
    names.push_back(e.value("name", ""));
    EXPECT_EQ(e.value("default", false), e.value("name", "") == "espeak") << e.dump();
    EXPECT_TRUE(e["voices"].is_array()) << e.dump();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"espeak", "flite"}));  // no STT or LLM listed
}

TEST(HarvisRoutesTtsEngines, SelectingAnEngineChangesTheChatsSpeech) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  Answer a = PostJson(s.harvis, "/api/tts-engine", {{"engine", "flite"}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.j.value("current", ""), "flite");
  EXPECT_EQ(GetJson(s.harvis, "/api/tts-engines").value("current", ""), "flite");

  Answer chat = PostJson(s.harvis, "/api/chat", {{"message", "hello"}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const auto frames = ParseSse(chat.body);
  ASSERT_FALSE(frames.empty());
  const WavInfo wav = FetchWav(s.harvis, frames.back().data.value("audio_path", ""));
  ASSERT_TRUE(wav.valid) << chat.body;
  EXPECT_TRUE(wav.sample_rate == 8000 || wav.sample_rate == 16000) << wav.sample_rate;  // flite, not espeak's 22050
  const auto resident = Resident(s.harvis);
  EXPECT_TRUE(resident.count("flite")) << GetJson(s.harvis, "/api/ps").dump();
  EXPECT_FALSE(resident.count("espeak")) << GetJson(s.harvis, "/api/ps").dump();

  // A request's own tts_engine still wins.
  chat = PostJson(s.harvis, "/api/chat", {{"message", "hello"}, {"tts_engine", "espeak"}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(FetchWav(s.harvis, ParseSse(chat.body).back().data.value("audio_path", "")).sample_rate, 22050);
}

TEST(HarvisRoutesTtsEngines, RejectsUnknownMissingAndNonTtsEngines) {
  HarvisStack s;
  ASSERT_TRUE(s.running()) << s.harvis.Log();
  struct Case {
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {R"({"engine": "no-such-tts"})", 404}, {R"({})", 400},
      {R"({"engine": ""})", 400},            {R"({"engine": 3})", 400},
      {"not json", 400},                     {R"({"engine": "llama3.2:3b"})", 400},
      {R"({"engine": "pocketsphinx"})", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Answer a = PostBody(s.harvis, "/api/tts-engine", c.body);
    EXPECT_EQ(a.status, c.status) << a.body;
    EXPECT_TRUE(a.j.is_object() && a.j.contains("error")) << a.body;
  }
  EXPECT_EQ(GetJson(s.harvis, "/api/tts-engines").value("current", ""), "espeak");  // unchanged
}

}  // namespace
}  // namespace harvis::testing
