#include "http/harvis_requests.h"

#include <nlohmann/json.hpp>

#include "http/json_body.h"
#include "http/voices.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

Status Invalid(const std::string& message) { return {ErrorCode::kInvalidArgument, message}; }

Status OptionalString(const json& j, const char* field, std::string& out) {
  if (!j.contains(field) || j[field].is_null()) return Status::Ok();
  if (!j[field].is_string()) return Invalid(std::string("'") + field + "' must be a string");
  out = j[field];
  return Status::Ok();
}

Status OptionalBool(const json& j, const char* field, bool& out) {
  if (!j.contains(field) || j[field].is_null()) return Status::Ok();
  if (!j[field].is_boolean()) return Invalid(std::string("'") + field + "' must be a boolean");
  out = j[field];
  return Status::Ok();
}

Status FormBool(const MultipartForm& form, const char* field, bool& out) {
  auto v = form.Field(field);
  if (!v) return Status::Ok();
  if (*v == "true" || *v == "1") {
    out = true;
  } else if (*v == "false" || *v == "0" || v->empty()) {
    out = false;
  } else {
    return Invalid(std::string("'") + field + "' must be true or false");
  }
  return Status::Ok();
}

Status History(const json& value, std::vector<ChatMessage>& out) {
  if (value.is_null()) return Status::Ok();
  auto history = ParseMessageList(value, "history");
  if (!history.ok()) return history.status();
  out = std::move(*history);
  return Status::Ok();
}

}  // namespace

Result<HarvisChatRequest> ParseHarvisChat(const std::string& body) {
  auto parsed = ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  HarvisChatRequest r;
  if (!j.contains("message") || !j["message"].is_string()) return Invalid("'message' is required and must be a string");
  r.message = j["message"];
  if (r.message.find_first_not_of(" \t\r\n") == std::string::npos) return Invalid("'message' must not be empty");
  for (Status s : {OptionalString(j, "model", r.models.llm), OptionalString(j, "tts_engine", r.models.tts),
                   OptionalString(j, "voice", r.voice), OptionalBool(j, "text_only", r.text_only),
                   OptionalBool(j, "low_vram", r.low_vram),
                   j.contains("history") ? History(j["history"], r.history) : Status::Ok()}) {
    if (!s.ok()) return s;
  }
  return r;
}

Result<HarvisAudioRequest> ParseHarvisAudio(const HttpRequest& request, ModelKind model_field_kind) {
  if (!request.form) {
    return Status(ErrorCode::kUnsupportedMedia, "expected a multipart/form-data upload with the audio in the 'file' field");
  }
  const MultipartForm& form = *request.form;
  HarvisAudioRequest r;
  r.file = form.Find("file");
  if (r.file == nullptr) return Invalid("the 'file' field (the audio) is required");
  std::string model = form.Field("model").value_or("");
  if (auto q = request.query.find("model"); model.empty() && q != request.query.end()) model = q->second;
  (model_field_kind == ModelKind::kStt ? r.models.stt : r.models.llm) = model;
  if (auto v = form.Field("stt_model")) r.models.stt = *v;
  r.models.tts = form.Field("tts_model").value_or(form.Field("tts_engine").value_or(""));
  r.voice = form.Field("voice").value_or("");
  r.language = form.Field("language").value_or("");
  if (auto h = form.Field("history"); h && !h->empty()) {
    json parsed = json::parse(*h, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return Invalid("'history' must be a JSON array of {role, content} messages");
    if (Status s = History(parsed, r.history); !s.ok()) return s;
  }
  for (Status s : {FormBool(form, "text_only", r.text_only), FormBool(form, "low_vram", r.low_vram)}) {
    if (!s.ok()) return s;
  }
  return r;
}

Result<SynthesizeSpeechRequest> ParseSynthesizeSpeech(const std::string& body) {
  auto parsed = ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  SynthesizeSpeechRequest r;
  if (!j.contains("text") || !j["text"].is_string()) return Invalid("'text' is required and must be a string");
  r.text = j["text"];
  if (r.text.find_first_not_of(" \t\r\n") == std::string::npos) return Invalid("'text' must not be empty");
  constexpr size_t kMaxText = 20000;  // ~20 minutes of speech
  if (r.text.size() > kMaxText) return Invalid("'text' must be at most 20000 characters");
  for (Status s : {OptionalString(j, "model", r.tts), OptionalString(j, "tts_engine", r.tts),
                   OptionalString(j, "voice", r.voice)}) {
    if (!s.ok()) return s;
  }
  if (j.contains("speed") && !j["speed"].is_null()) {
    if (!j["speed"].is_number()) return Invalid("'speed' must be a number");
    r.speed = j["speed"];
    if (r.speed < 0.25 || r.speed > 4.0) return Invalid("'speed' must be between 0.25 and 4.0");
  }
  return r;
}

Result<std::string> ResolveTtsModel(const ApiContext& ctx, const std::string& requested) {
  const std::string name = requested.empty() ? ctx.tts->Get() : requested;
  if (ctx.scheduler->HasModel(name)) {
    if (Status s = CheckModelKind(*ctx.scheduler, name, ModelKind::kTts); !s.ok()) return s;
    return name;
  }
  for (const auto& m : ctx.scheduler->ListModels()) {
    if (m.kind == ModelKind::kTts && m.engine == name) return m.name;
  }
  return Status(ErrorCode::kNotFound, "no TTS model or engine named '" + name + "'");
}

Status ResolveTurnModels(const ApiContext& ctx, RequestedModels& m, bool with_stt, bool with_tts) {
  if (m.llm.empty()) m.llm = ctx.config->defaults.llm;
  if (Status s = CheckModelKind(*ctx.scheduler, m.llm, ModelKind::kLlm); !s.ok()) return s;
  if (with_stt) {
    if (m.stt.empty()) m.stt = ctx.config->defaults.stt;
    if (Status s = CheckModelKind(*ctx.scheduler, m.stt, ModelKind::kStt); !s.ok()) return s;
  }
  if (!with_tts) {
    m.tts.clear();
    return Status::Ok();
  }
  auto tts = ResolveTtsModel(ctx, m.tts);
  if (!tts.ok()) return tts.status();
  m.tts = *tts;
  return Status::Ok();
}

std::string ResolveTurnVoice(const ApiContext& ctx, const std::string& tts_model, const std::string& voice) {
  auto model = ctx.scheduler->GetModel(tts_model);
  return model.ok() ? ResolveVoice(model->engine, voice) : voice;
}

}  // namespace harvis::http
