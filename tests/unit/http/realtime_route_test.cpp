// GET /v1/realtime's protocol over an in-memory WebSocket (no server): OpenAI Realtime
// events in, events out, with the scripted engines of the pipeline tests.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <set>

#include <nlohmann/json.hpp>

#include "../pipeline/speech_signal.h"
#include "../pipeline/turn_test_util.h"
#include "audio/resample.h"
#include "core/base64.h"
#include "http/routes.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;
constexpr auto kWait = std::chrono::seconds(20);  // a bound on hangs, not a timing assertion

// The client's end of a WebSocket, in memory.
class FakeSocket : public WebSocketConnection {
 public:
  std::optional<WebSocketMessage> Receive() override {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return closed_ || !incoming_.empty(); });
    if (incoming_.empty()) return std::nullopt;
    WebSocketMessage m = std::move(incoming_.front());
    incoming_.pop_front();
    return m;
  }
  bool Send(const std::string& text) override {
    std::lock_guard lk(mu_);
    if (closed_) return false;
    sent_.push_back(json::parse(text));  // the server only ever sends valid JSON
    cv_.notify_all();
    return true;
  }
  void Close() override {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  // Client side.
  void Push(const json& event, bool binary = false) { PushRaw(event.dump(), binary); }
  void PushRaw(std::string text, bool binary = false) {
    std::lock_guard lk(mu_);
    incoming_.push_back({binary, std::move(text)});
    cv_.notify_all();
  }
  // Waits for the n-th (1-based) server event of `type` and returns it (null on timeout).
  json WaitFor(const std::string& type, size_t n = 1) {
    std::unique_lock lk(mu_);
    json found;
    cv_.wait_for(lk, kWait, [&] {
      size_t seen = 0;
      for (const auto& e : sent_) {
        if (e["type"] == type && ++seen == n) return found = e, true;
      }
      return closed_;
    });
    return found;
  }
  std::vector<json> Sent() {
    std::lock_guard lk(mu_);
    return sent_;
  }
  std::vector<json> OfType(const std::string& type) {
    std::vector<json> out;
    for (auto& e : Sent()) if (e["type"] == type) out.push_back(e);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WebSocketMessage> incoming_;
  std::vector<json> sent_;
  bool closed_ = false;
};

// pcm16 little-endian, base64, at 24 kHz, from 16 kHz test audio.
std::string Pcm16Base64(const std::vector<float>& pcm_16k) {
  auto pcm = audio::FloatToInt16(audio::ResampleFloat(pcm_16k, 16000, 24000));
  std::string bytes;
  for (int16_t s : pcm) {
    bytes += static_cast<char>(static_cast<uint16_t>(s) & 0xFF);
    bytes += static_cast<char>(static_cast<uint16_t>(s) >> 8);
  }
  return Base64Encode(bytes);
}

// A scheduler with the scripted stt/llm and a simulated tts, and a connection served on
// a thread of its own as the server would.
struct RealtimeHarness {
  testing::TurnHarness turn;
  Config config;
  TtsSelection tts{"tts"};
  ApiContext ctx;
  FakeSocket socket;
  std::thread serving;

  explicit RealtimeHarness(std::string answer = "Sunny and warm. Take a hat.") {
    turn.script->answer = std::move(answer);
  }
  void Start(const std::string& model = "") {
    ASSERT_TRUE(turn.Build().ok());
    config.defaults = {"stt", "tts", "llm"};
    ctx.config = &config;
    ctx.scheduler = turn.scheduler.get();
    ctx.tts = &tts;
    HttpRequest req;
    req.method = "GET";
    req.path = "/v1/realtime";
    if (!model.empty()) req.query["model"] = model;
    serving = std::thread([this, req] { ServeRealtime(ctx, req, socket); });
  }
  void StreamAudio(const std::vector<float>& pcm_16k) {
    for (size_t i = 0; i < pcm_16k.size(); i += 1600) {
      std::vector<float> chunk(pcm_16k.begin() + i, pcm_16k.begin() + std::min(pcm_16k.size(), i + 1600));
      socket.Push({{"type", "input_audio_buffer.append"}, {"audio", Pcm16Base64(chunk)}});
    }
  }
  void Stop() {
    socket.Close();
    if (serving.joinable()) serving.join();
  }
  ~RealtimeHarness() { Stop(); }
};

std::vector<float> Utterance() { return testing::Concat({testing::SpeechLike(1200), testing::Silence(900)}); }

TEST(RealtimeRoute, ConnectAnnouncesTheSession) {
  RealtimeHarness h;
  h.Start();
  json created = h.socket.WaitFor("session.created");
  ASSERT_FALSE(created.is_null());
  EXPECT_TRUE(created["event_id"].is_string());
  EXPECT_EQ(created["session"]["model"], "llm");
  EXPECT_EQ(created["session"]["turn_detection"]["type"], "server_vad");
  EXPECT_EQ(created["session"]["turn_detection"]["prefix_padding_ms"], 300);
  EXPECT_EQ(created["session"]["turn_detection"]["silence_duration_ms"], 500);
  EXPECT_EQ(created["session"]["input_audio_format"], "pcm16");
}

TEST(RealtimeRoute, ServerVadTurnStreamsTranscriptAndAudio) {
  RealtimeHarness h;
  h.Start("llm");
  ASSERT_FALSE(h.socket.WaitFor("session.created").is_null());
  h.StreamAudio(Utterance());
  json done = h.socket.WaitFor("response.done");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["response"]["status"], "completed");
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["transcript"], "Sunny and warm. Take a hat.");

  json completed = h.socket.WaitFor("conversation.item.input_audio_transcription.completed");
  EXPECT_EQ(completed["transcript"], "what is the weather like");
  EXPECT_EQ(h.socket.WaitFor("input_audio_buffer.committed")["item_id"], completed["item_id"]);
  auto audio = h.socket.OfType("response.audio.delta");
  ASSERT_FALSE(audio.empty());
  for (const auto& a : audio) {
    auto bytes = Base64Decode(a["delta"].get<std::string>());
    ASSERT_TRUE(bytes.has_value());
    EXPECT_FALSE(bytes->empty());
    EXPECT_EQ(bytes->size() % 2, 0u);
  }
  std::set<std::string> ids;
  for (const auto& e : h.socket.Sent()) EXPECT_TRUE(ids.insert(e["event_id"].get<std::string>()).second) << e.dump();
  h.Stop();
  EXPECT_EQ(h.turn.TotalLeases(), 0);
}

TEST(RealtimeRoute, ManualTurnsAndTextOnlyAfterSessionUpdate) {
  RealtimeHarness h("Just text.");
  h.Start();
  h.socket.Push({{"type", "session.update"},
                 {"session", {{"modalities", {"text"}}, {"turn_detection", nullptr}, {"instructions", "Be brief."}}}});
  json updated = h.socket.WaitFor("session.updated");
  ASSERT_FALSE(updated.is_null());
  EXPECT_TRUE(updated["session"]["turn_detection"].is_null());
  EXPECT_EQ(updated["session"]["modalities"], json({"text"}));
  h.StreamAudio(Utterance());
  h.socket.Push({{"type", "input_audio_buffer.commit"}});
  h.socket.Push({{"type", "response.create"}});
  json done = h.socket.WaitFor("response.done");
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["text"], "Just text.");
  EXPECT_TRUE(h.socket.OfType("input_audio_buffer.speech_started").empty());
  EXPECT_TRUE(h.socket.OfType("response.audio.delta").empty());
  EXPECT_FALSE(h.socket.OfType("response.text.delta").empty());
}

TEST(RealtimeRoute, ClearAndCancel) {
  RealtimeHarness h("One two three. Four five six seven eight nine ten eleven twelve.");
  h.turn.script->token_delay = std::chrono::milliseconds(20);
  h.Start();
  h.socket.Push({{"type", "session.update"}, {"session", {{"turn_detection", nullptr}}}});
  h.StreamAudio(testing::SpeechLike(500));
  h.socket.Push({{"type", "input_audio_buffer.clear"}});
  ASSERT_FALSE(h.socket.WaitFor("input_audio_buffer.cleared").is_null());
  h.socket.Push({{"type", "response.create"}});
  ASSERT_FALSE(h.socket.WaitFor("response.audio.delta").is_null());
  h.socket.Push({{"type", "response.cancel"}});
  json done = h.socket.WaitFor("response.done");
  EXPECT_EQ(done["response"]["status"], "cancelled");
  EXPECT_EQ(done["response"]["status_details"]["reason"], "client_cancelled");
}

TEST(RealtimeRoute, ClientMistakesAreErrorEventsAndTheSessionGoesOn) {
  RealtimeHarness h;
  h.Start();
  ASSERT_FALSE(h.socket.WaitFor("session.created").is_null());
  h.socket.PushRaw("{not json");
  h.socket.PushRaw("[1, 2]");
  h.socket.Push({{"event_id", "ev_1"}, {"type", "no.such.event"}});
  h.socket.Push({{"event_id", "ev_2"}, {"type", "input_audio_buffer.append"}, {"audio", "%%%"}});
  h.socket.Push({{"type", "input_audio_buffer.append"}, {"audio", "AA=="}});  // one byte: not whole samples
  h.socket.Push({{"type", "input_audio_buffer.append"}, {"audio", 42}});
  h.socket.Push({{"type", "session.update"}, {"session", {{"turn_detection", {{"threshold", "high"}}}}}});
  h.socket.Push({{"type", "session.update"}, {"session", {{"model", "no-such-model"}}}});
  h.socket.Push({{"type", "session.update"}, {"session", {{"input_audio_format", "g711_ulaw"}}}});
  h.socket.Push({{"type", "input_audio_buffer.commit"}});
  h.socket.Push({{"type", "response.cancel"}});
  h.socket.PushRaw("{}", true);
  h.socket.Push({{"type", 7}});
  h.socket.Push({{"type", "session.update"}, {"session", {{"voice", "nova"}}}});  // still serving
  ASSERT_FALSE(h.socket.WaitFor("session.updated").is_null());

  auto errors = h.socket.OfType("error");
  std::vector<std::string> codes;
  for (const auto& e : errors) {
    EXPECT_TRUE(e["event_id"].is_string());
    EXPECT_TRUE(e["error"]["message"].is_string());
    EXPECT_TRUE(e["error"]["type"].is_string());
    codes.push_back(e["error"]["code"]);
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"invalid_json", "invalid_json", "invalid_event_type", "invalid_value",
                                             "invalid_value", "invalid_value", "invalid_value", "model_not_found",
                                             "invalid_value", "input_audio_buffer_commit_empty",
                                             "response_cancel_not_active", "invalid_json",
                                             "missing_required_parameter"}));
  EXPECT_EQ(errors[2]["error"]["event_id"], "ev_1");
  EXPECT_EQ(errors[3]["error"]["event_id"], "ev_2");
  EXPECT_EQ(h.socket.WaitFor("session.updated")["session"]["model"], "llm");  // the bad model was not applied
}

TEST(RealtimeRoute, UnknownModelInTheUrlIsAnErrorEvent) {
  RealtimeHarness h;
  h.Start("no-such-model");
  json error = h.socket.WaitFor("error");
  ASSERT_FALSE(error.is_null());
  EXPECT_EQ(error["error"]["code"], "model_not_found");
  h.serving.join();  // the handler ends: there is no session to run
  EXPECT_TRUE(h.socket.OfType("session.created").empty());
}

TEST(RealtimeRoute, ClosingMidAnswerReleasesLeases) {
  RealtimeHarness h("This is long. It has sentences. More of them. And more. The end is near. Done.");
  h.turn.script->token_delay = std::chrono::milliseconds(30);
  h.Start();
  h.StreamAudio(Utterance());
  ASSERT_FALSE(h.socket.WaitFor("response.audio.delta").is_null());
  EXPECT_GT(h.turn.TotalLeases(), 0);
  h.Stop();  // the client goes away mid-answer
  EXPECT_EQ(h.turn.TotalLeases(), 0);
  EXPECT_TRUE(h.turn.script->saw_cancel);
  EXPECT_TRUE(h.turn.scheduler->CheckInvariants().ok());
}

}  // namespace
}  // namespace harvis::http
