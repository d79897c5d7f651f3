#include "http/realtime_events.h"

#include "audio/resample.h"
#include "core/base64.h"

namespace harvis::http {
namespace {

using nlohmann::json;
using pipeline::RealtimeEvent;

constexpr size_t kDeltaSamples = kRealtimeAudioRate / 2;  // 0.5 s per response.audio.delta

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json ErrorObject(const Status& status, const std::string& code) {
  return {{"type", ErrorTypeFor(status)}, {"code", code.empty() ? ErrorCodeName(status.code()) : code},
          {"message", status.message()}};
}

json Item(const RealtimeEvent& e, const std::string& status) {
  json content = json::array();
  if (e.role == "user") content.push_back({{"type", "input_audio"}, {"transcript", nullptr}});
  return {{"id", e.item_id}, {"object", "realtime.item"}, {"type", "message"},
          {"status", status}, {"role", e.role}, {"content", content}};
}

// The parts of an event that say where in the response it belongs.
json Part(const RealtimeEvent& e) {
  return {{"response_id", e.response_id}, {"item_id", e.item_id}, {"output_index", 0}, {"content_index", 0}};
}

std::string Pcm16Bytes(const std::vector<int16_t>& pcm, size_t from, size_t count) {
  std::string bytes(count * 2, '\0');
  for (size_t i = 0; i < count; ++i) {
    const auto v = static_cast<uint16_t>(pcm[from + i]);
    bytes[2 * i] = static_cast<char>(v & 0xFF);
    bytes[2 * i + 1] = static_cast<char>(v >> 8);
  }
  return bytes;
}

json AudioDeltas(const RealtimeEvent& e) {
  const std::vector<int16_t> pcm = audio::ResampleInt16(e.audio.pcm, e.audio.sample_rate, kRealtimeAudioRate);
  json out = json::array();
  for (size_t i = 0; i < pcm.size(); i += kDeltaSamples) {
    json d = Part(e);
    d["type"] = "response.audio.delta";
    d["delta"] = Base64Encode(Pcm16Bytes(pcm, i, std::min(kDeltaSamples, pcm.size() - i)));
    out.push_back(std::move(d));
  }
  return out;
}

json ResponseObject(const RealtimeEvent& e) {
  json response = {{"id", e.response_id}, {"object", "realtime.response"},
                   {"status", e.status.empty() ? "in_progress" : e.status}, {"status_details", nullptr},
                   {"output", json::array()}, {"usage", nullptr}};
  if (e.status == "cancelled") response["status_details"] = {{"type", "cancelled"}, {"reason", e.reason}};
  if (e.status == "failed") response["status_details"] = {{"type", "failed"}, {"error", ErrorObject(e.error, "")}};
  if (!e.item_id.empty()) {
    json part = e.text_only ? json{{"type", "text"}, {"text", e.text}} : json{{"type", "audio"}, {"transcript", e.text}};
    response["output"].push_back({{"id", e.item_id}, {"object", "realtime.item"}, {"type", "message"},
                                  {"status", e.status == "completed" ? "completed" : "incomplete"},
                                  {"role", "assistant"}, {"content", json::array({part})}});
  }
  return response;
}

}  // namespace

std::string ErrorTypeFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kUnsupportedMedia:
    case ErrorCode::kUnprocessable:
      return "invalid_request_error";
    default:
      return "server_error";
  }
}

json ErrorEventJson(const std::string& type, const std::string& code, const std::string& message,
                    const std::string& param, const std::string& client_event_id) {
  return {{"type", "error"},
          {"error", {{"type", type}, {"code", code}, {"message", message}, {"param", OrNull(param)},
                     {"event_id", OrNull(client_event_id)}}}};
}

json ServerEventJson(const RealtimeEvent& e) {
  const std::string& t = e.type;
  json j = {{"type", t}};
  if (t == "input_audio_buffer.speech_started") {
    j["audio_start_ms"] = e.audio_ms, j["item_id"] = e.item_id;
  } else if (t == "input_audio_buffer.speech_stopped") {
    j["audio_end_ms"] = e.audio_ms, j["item_id"] = e.item_id;
  } else if (t == "input_audio_buffer.committed") {
    j["previous_item_id"] = OrNull(e.previous_item_id), j["item_id"] = e.item_id;
  } else if (t == "conversation.item.created") {
    j["previous_item_id"] = OrNull(e.previous_item_id);
    j["item"] = Item(e, e.role == "user" ? "completed" : "in_progress");
  } else if (t == "conversation.item.input_audio_transcription.delta") {
    j["item_id"] = e.item_id, j["content_index"] = 0, j["delta"] = e.text;
  } else if (t == "conversation.item.input_audio_transcription.completed") {
    j["item_id"] = e.item_id, j["content_index"] = 0, j["transcript"] = e.text;
  } else if (t == "conversation.item.input_audio_transcription.failed") {
    j["item_id"] = e.item_id, j["content_index"] = 0, j["error"] = ErrorObject(e.error, "transcription_failed");
  } else if (t == "response.created" || t == "response.done") {
    j["response"] = ResponseObject(e);
  } else if (t == "response.output_item.added") {
    RealtimeEvent item = e;
    item.role = "assistant";
    j["response_id"] = e.response_id, j["output_index"] = 0, j["item"] = Item(item, "in_progress");
  } else if (t == "response.audio.delta") {
    return AudioDeltas(e);
  } else if (t == "response.audio_transcript.delta" || t == "response.text.delta") {
    j.update(Part(e)), j["delta"] = e.text;
  } else if (t == "response.audio.done") {
    j.update(Part(e));
  } else if (t == "response.audio_transcript.done") {
    j.update(Part(e)), j["transcript"] = e.text;
  } else if (t == "response.text.done") {
    j.update(Part(e)), j["text"] = e.text;
  } else if (t == "error") {
    return ErrorEventJson(ErrorTypeFor(e.error), e.error_code, e.error.message(), "", "");
  }
  j["type"] = t;
  return j;
}

json SessionJson(const RealtimeSessionState& s) {
  const auto& c = s.config;
  json turn = nullptr;
  if (c.server_vad) {
    turn = {{"type", "server_vad"}, {"threshold", c.vad.threshold}, {"prefix_padding_ms", c.vad.prefix_padding_ms},
            {"silence_duration_ms", c.vad.silence_duration_ms}, {"create_response", c.create_response},
            {"interrupt_response", c.interrupt_response}};
  }
  json transcription = nullptr;
  if (!s.transcription_model.empty()) transcription = {{"model", s.transcription_model}, {"language", OrNull(c.language)}};
  return {{"id", s.id}, {"object", "realtime.session"}, {"model", c.llm_model},
          {"modalities", c.audio_output ? json{"text", "audio"} : json{"text"}},
          {"instructions", c.instructions}, {"voice", s.voice_name},
          {"input_audio_format", "pcm16"}, {"output_audio_format", "pcm16"},
          {"input_audio_transcription", transcription}, {"turn_detection", turn},
          {"tools", json::array()}, {"tool_choice", "auto"}, {"temperature", c.temperature},
          {"max_response_output_tokens", c.max_output_tokens > 0 ? json(c.max_output_tokens) : json("inf")}};
}

}  // namespace harvis::http

namespace harvis::http {
namespace {

Status Invalid(const std::string& field, const std::string& what) {
  return Status(ErrorCode::kInvalidArgument, "session." + field + " " + what);
}

// Reads an optional field of `obj` into `out` when it has the JSON type `is` checks.
template <typename T, typename Check>
Status Field(const nlohmann::json& obj, const std::string& key, const std::string& path, Check is, const char* type,
             T& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!is(*it)) return Invalid(path, std::string("must be ") + type);
  out = it->get<T>();
  return Status::Ok();
}

bool IsString(const nlohmann::json& j) { return j.is_string(); }
bool IsNumber(const nlohmann::json& j) { return j.is_number(); }
bool IsInt(const nlohmann::json& j) { return j.is_number_integer() && j.get<int64_t>() >= 0 && j.get<int64_t>() < 1 << 30; }
bool IsBool(const nlohmann::json& j) { return j.is_boolean(); }

Status ApplyTurnDetection(const nlohmann::json& td, pipeline::RealtimeConfig& c) {
  if (td.is_null()) {
    c.server_vad = false;
    return Status::Ok();
  }
  if (!td.is_object()) return Invalid("turn_detection", "must be an object or null");
  std::string type = "server_vad";
  Status s = Field(td, "type", "turn_detection.type", IsString, "a string", type);
  // semantic_vad needs a model of end-of-turn; the acoustic detector stands in for it.
  if (s.ok() && type != "server_vad" && type != "semantic_vad") s = Invalid("turn_detection.type", "must be server_vad");
  if (s.ok()) s = Field(td, "threshold", "turn_detection.threshold", IsNumber, "a number", c.vad.threshold);
  if (s.ok() && (c.vad.threshold < 0 || c.vad.threshold > 1)) s = Invalid("turn_detection.threshold", "must be in [0, 1]");
  if (s.ok()) s = Field(td, "prefix_padding_ms", "turn_detection.prefix_padding_ms", IsInt, "a non-negative integer", c.vad.prefix_padding_ms);
  if (s.ok()) s = Field(td, "silence_duration_ms", "turn_detection.silence_duration_ms", IsInt, "a non-negative integer", c.vad.silence_duration_ms);
  if (s.ok()) s = Field(td, "create_response", "turn_detection.create_response", IsBool, "a boolean", c.create_response);
  if (s.ok()) s = Field(td, "interrupt_response", "turn_detection.interrupt_response", IsBool, "a boolean", c.interrupt_response);
  c.server_vad = true;
  return s;
}

Status ApplyFormats(const nlohmann::json& session) {
  for (const char* key : {"input_audio_format", "output_audio_format"}) {
    auto it = session.find(key);
    if (it == session.end()) continue;
    if (!it->is_string()) return Invalid(key, "must be a string");
    if (*it != "pcm16") return Invalid(key, "'" + it->get<std::string>() + "' is not supported (only pcm16)");
  }
  return Status::Ok();
}

Status ApplyModalities(const nlohmann::json& session, pipeline::RealtimeConfig& c) {
  auto it = session.find("modalities");
  if (it == session.end()) return Status::Ok();
  if (!it->is_array()) return Invalid("modalities", "must be an array");
  bool text = false, audio = false;
  for (const auto& m : *it) {
    if (m == "text") text = true;
    else if (m == "audio") audio = true;
    else return Invalid("modalities", "may only hold \"text\" and \"audio\"");
  }
  if (!text) return Invalid("modalities", "must include \"text\"");
  c.audio_output = audio;
  return Status::Ok();
}

Status ApplyTranscription(const nlohmann::json& session, RealtimeSessionState& st, std::string& stt_model) {
  auto it = session.find("input_audio_transcription");
  if (it == session.end()) return Status::Ok();
  if (it->is_null()) {
    st.transcription_model.clear();
    return Status::Ok();
  }
  if (!it->is_object()) return Invalid("input_audio_transcription", "must be an object or null");
  std::string model = st.transcription_model.empty() ? "whisper-1" : st.transcription_model;
  Status s = Field(*it, "model", "input_audio_transcription.model", IsString, "a string", model);
  if (s.ok()) s = Field(*it, "language", "input_audio_transcription.language", IsString, "a string", st.config.language);
  if (s.ok()) st.transcription_model = stt_model = model;
  return s;
}

}  // namespace

Status ApplySessionUpdate(const nlohmann::json& session, RealtimeSessionState& state, std::string& llm_model,
                          std::string& stt_model) {
  if (!session.is_object()) return Status(ErrorCode::kInvalidArgument, "session must be an object");
  RealtimeSessionState next = state;
  auto& c = next.config;
  Status s = Field(session, "model", "model", IsString, "a string", llm_model);
  if (s.ok()) s = Field(session, "instructions", "instructions", IsString, "a string", c.instructions);
  if (s.ok()) s = Field(session, "voice", "voice", IsString, "a string", next.voice_name);
  if (s.ok()) s = Field(session, "temperature", "temperature", IsNumber, "a number", c.temperature);
  if (s.ok()) s = ApplyModalities(session, c);
  if (s.ok()) s = ApplyFormats(session);
  if (s.ok() && session.contains("turn_detection")) s = ApplyTurnDetection(session["turn_detection"], c);
  if (s.ok()) s = ApplyTranscription(session, next, stt_model);
  if (s.ok() && session.contains("max_response_output_tokens")) {
    const auto& m = session["max_response_output_tokens"];
    if (m == "inf") c.max_output_tokens = 0;
    else if (IsInt(m) && m.get<int>() >= 1) c.max_output_tokens = m.get<int>();
    else s = Invalid("max_response_output_tokens", "must be a positive integer or \"inf\"");
  }
  if (!s.ok()) return s;
  state = std::move(next);
  return Status::Ok();
}

}  // namespace harvis::http
