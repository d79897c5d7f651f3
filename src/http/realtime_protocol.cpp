// GET /v1/realtime: one WebSocket connection = one RealtimeSession. Client events are
// parsed here and become session calls; the session's events become JSON server events,
// each with a unique event_id. A client's mistake (bad JSON, unknown event type, wrong
// field type, bad base64, unknown model) is answered with an `error` event; the
// connection stays open. Closing the socket destroys the session: its worker is joined
// and every lease released.
#include <atomic>
#include <random>
#include <thread>

#include "audio/resample.h"
#include "core/base64.h"
#include "http/harvis_requests.h"
#include "http/realtime_events.h"
#include "http/routes.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

// OpenAI's transcription model names pick the server's default STT model.
bool IsOpenAiTranscriptionModel(const std::string& name) {
  return name == "whisper-1" || name.rfind("gpt-4o", 0) == 0;
}

// Sends server events; errors raised while a client event is handled carry its event_id.
class SocketSink : public pipeline::RealtimeEventSink {
 public:
  explicit SocketSink(WebSocketConnection& socket) : socket_(socket), client_thread_(std::this_thread::get_id()) {}

  void Emit(pipeline::RealtimeEvent event) override {
    json j = ServerEventJson(event);
    if (event.type == "error" && std::this_thread::get_id() == client_thread_) {
      j["error"]["event_id"] = client_event_id_.empty() ? json(nullptr) : json(client_event_id_);
    }
    Send(std::move(j));
  }
  // Adds an event_id and sends; an array is several events.
  void Send(json j) {
    if (j.is_array()) {
      for (auto& e : j) Send(std::move(e));
      return;
    }
    j["event_id"] = "event_" + std::to_string(++next_id_) + suffix_;
    socket_.Send(j.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  void Error(const std::string& code, const std::string& message, const std::string& param = "") {
    Send(ErrorEventJson("invalid_request_error", code, message, param, client_event_id_));
  }
  void SetClientEvent(std::string id) { client_event_id_ = std::move(id); }  // client thread only

  void SetSuffix(std::string s) { suffix_ = std::move(s); }

 private:
  WebSocketConnection& socket_;
  const std::thread::id client_thread_;
  std::string client_event_id_;
  std::string suffix_;
  std::atomic<uint64_t> next_id_{0};
};

struct Connection {
  const ApiContext& ctx;
  SocketSink& sink;
  RealtimeSessionState state;
  std::unique_ptr<pipeline::RealtimeSession> session;
  audio::StreamResampler resampler{kRealtimeAudioRate, pipeline::VoiceActivityDetector::kSampleRate};

  // Resolves the models a session names (empty: the defaults) into the config.
  Status ResolveModels(const std::string& llm, const std::string& stt, const std::string& voice,
                       pipeline::RealtimeConfig& c) {
    RequestedModels m;
    m.llm = llm;
    m.stt = stt.empty() || IsOpenAiTranscriptionModel(stt) ? "" : stt;
    m.tts = c.tts_model;
    if (Status s = ResolveTurnModels(ctx, m, true, true); !s.ok()) return s;
    c.llm_model = m.llm, c.stt_model = m.stt, c.tts_model = m.tts;
    c.voice = ResolveTurnVoice(ctx, m.tts, voice);
    return Status::Ok();
  }

  void Update(const json& event) {
    if (!event.contains("session")) return sink.Error("missing_required_parameter", "session.update needs `session`", "session");
    RealtimeSessionState next = state;
    std::string llm = next.config.llm_model;
    std::string stt = next.transcription_model;
    if (Status s = ApplySessionUpdate(event["session"], next, llm, stt); !s.ok()) {
      return sink.Error("invalid_value", s.message());
    }
    if (Status s = ResolveModels(llm, stt, next.voice_name, next.config); !s.ok()) {
      return sink.Error(s.code() == ErrorCode::kNotFound ? "model_not_found" : "invalid_model", s.message(), "session.model");
    }
    state = std::move(next);
    session->Update(state.config);
    sink.Send({{"type", "session.updated"}, {"session", SessionJson(state)}});
  }

  void Append(const json& event) {
    auto it = event.find("audio");
    if (it == event.end() || !it->is_string()) {
      return sink.Error("invalid_value", "input_audio_buffer.append needs `audio`: base64 pcm16", "audio");
    }
    auto bytes = Base64Decode(it->get_ref<const std::string&>());
    if (!bytes) return sink.Error("invalid_value", "`audio` is not valid base64", "audio");
    if (bytes->size() % 2 != 0) return sink.Error("invalid_value", "`audio` is not whole 16-bit samples", "audio");
    std::vector<float> pcm(bytes->size() / 2);
    for (size_t i = 0; i < pcm.size(); ++i) {
      const auto lo = static_cast<uint8_t>((*bytes)[2 * i]), hi = static_cast<uint8_t>((*bytes)[2 * i + 1]);
      pcm[i] = static_cast<int16_t>(lo | hi << 8) / 32768.0f;
    }
    session->Append(resampler.Push(pcm));
  }

  void Handle(const std::string& text) {
    json event = json::parse(text, nullptr, false);
    if (event.is_discarded()) return sink.Error("invalid_json", "the event is not valid JSON");
    if (!event.is_object()) return sink.Error("invalid_json", "an event must be a JSON object");
    auto id = event.find("event_id");
    sink.SetClientEvent(id != event.end() && id->is_string() ? id->get<std::string>() : "");
    auto type = event.find("type");
    if (type == event.end() || !type->is_string()) return sink.Error("missing_required_parameter", "an event needs a string `type`", "type");
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "session.update") Update(event);
    else if (t == "input_audio_buffer.append") Append(event);
    else if (t == "input_audio_buffer.commit") session->Commit();
    else if (t == "input_audio_buffer.clear") session->Clear();
    else if (t == "response.create") session->CreateResponse();
    else if (t == "response.cancel") session->CancelResponse();
    else sink.Error("invalid_event_type", "unknown or unsupported event type '" + t + "'", "type");
  }
};

std::string RandomId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "sess_";
  for (int i = 0; i < 16; ++i) id += kHex[rd() % 16];
  return id;
}

}  // namespace

void ServeRealtime(const ApiContext& ctx, const HttpRequest& request, WebSocketConnection& socket) {
  SocketSink sink(socket);
  Connection conn{ctx, sink, {}, nullptr};
  conn.state.id = RandomId();
  sink.SetSuffix("_" + conn.state.id.substr(5));
  conn.state.voice_name = "alloy";
  conn.state.transcription_model = "whisper-1";
  auto model = request.query.find("model");
  const std::string llm = model == request.query.end() ? "" : model->second;
  if (Status s = conn.ResolveModels(llm, "", conn.state.voice_name, conn.state.config); !s.ok()) {
    // Without a usable model there is no session to run.
    sink.Error(s.code() == ErrorCode::kNotFound ? "model_not_found" : "invalid_model", s.message(), "model");
    socket.Close();
    return;
  }
  conn.session = std::make_unique<pipeline::RealtimeSession>(*ctx.scheduler, conn.state.config, sink);
  sink.Send({{"type", "session.created"}, {"session", SessionJson(conn.state)}});
  while (auto message = socket.Receive()) {
    sink.SetClientEvent("");
    if (message->binary) {
      sink.Error("invalid_json", "binary messages are not supported; send JSON text events");
      continue;
    }
    try {
      conn.Handle(message->data);
    } catch (const std::exception& e) {  // a bug, never the client's mistake: report and go on
      sink.Send(ErrorEventJson("server_error", "server_error", e.what(), "", ""));
    }
  }
  conn.session.reset();  // joins the worker before the sink goes away
}

}  // namespace harvis::http
