// Harvis-compatible routes (SPEC §5), shaped like the original Harvis backend so that its
// web front end can switch to this one: /api/chat streams `data: {"status": ...}` frames
// and ends with `complete`; generated speech is stored and fetched by /api/audio/{id}.
#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "http/errors.h"
#include "http/harvis_requests.h"
#include "http/json_body.h"
#include "http/json_response.h"
#include "http/routes.h"
#include "http/sse.h"
#include "http/voices.h"
#include "pipeline/audio_store.h"
#include "pipeline/chat_turn.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

json HistoryJson(const std::vector<ChatMessage>& history) {
  json out = json::array();
  for (const auto& m : history) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

// Stores the speech and returns its path under /api/audio/.
Result<std::string> StoreSpeech(const ApiContext& ctx, const SpeechAudio& speech) {
  auto id = ctx.audio_store->Put(audio::EncodeWav(speech.pcm, speech.sample_rate));
  if (!id.ok()) return id.status();
  return "/api/audio/" + *id + ".wav";
}

double Seconds(const SpeechAudio& s) { return s.sample_rate > 0 ? double(s.pcm.size()) / s.sample_rate : 0; }

HttpResponse TurnError(const Status& s) {
  return s.code() == ErrorCode::kNotFound || s.code() == ErrorCode::kInvalidArgument ? ModelError(s) : ErrorResponse(s);
}

// POST /api/chat: SSE status frames, then `complete` (errors mid-stream: `error` frame).
HttpResponse Chat(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseHarvisChat(req.body);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  if (Status s = ResolveTurnModels(ctx, r->models, false, !r->text_only); !s.ok()) return TurnError(s);
  pipeline::ChatTurnRequest turn_req;
  turn_req.message = r->message;
  turn_req.history = r->history;
  turn_req.llm_model = r->models.llm;
  turn_req.tts_model = r->models.tts;
  turn_req.voice = ResolveTurnVoice(ctx, r->models.tts, r->voice);
  turn_req.text_only = r->text_only;
  turn_req.low_vram = r->low_vram;
  auto started = pipeline::ChatTurn::Start(*ctx.scheduler, std::move(turn_req));
  if (!started.ok()) return ErrorResponse(started.status());
  std::shared_ptr<pipeline::ChatTurn> turn = std::move(started).value();
  const std::string model = r->models.llm;
  return SseResponse([ctx, turn, model](StreamSink& sink) mutable {
    auto send = [&sink](const json& j) { return sink.Write(SseData(j)); };
    if (!send({{"status", "starting"}, {"message", "Processing your request..."}}) ||
        !send({{"status", "processing"}, {"detail", "Thinking with " + model + "..."}})) {
      return;
    }
    pipeline::ChatTurnCallbacks callbacks;
    callbacks.on_token = [&](std::string_view t) { return send({{"status", "streaming"}, {"content", std::string(t)}}); };
    callbacks.on_generating_audio = [&] {
      return send({{"status", "generating_audio"}, {"detail", "Generating voice response..."}});
    };
    auto result = turn->Run(callbacks);
    turn.reset();  // ends the turn (and unloads its models for low_vram) before `complete`
    if (!result.ok()) {
      send({{"status", "error"}, {"error", result.status().message()}, {"code", ErrorCodeName(result.status().code())}});
      return;
    }
    json complete = {{"status", "complete"}, {"final_answer", result->answer}, {"history", HistoryJson(result->history)}};
    if (result->speech) {
      auto path = StoreSpeech(ctx, *result->speech);
      if (path.ok()) complete["audio_path"] = *path;
      else complete["warning"] = "the answer's audio was not kept: " + path.status().message();
    }
    send(complete);
  });
}

// POST /api/mic-chat: audio -> transcript -> whole answer -> speech, as one JSON object.
HttpResponse MicChat(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseHarvisAudio(req, ModelKind::kLlm);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  if (Status s = ResolveTurnModels(ctx, r->models, true, !r->text_only); !s.ok()) return TurnError(s);
  auto pcm = DecodeUpload(ctx, r->file->data);
  if (!pcm.ok()) return ErrorResponse(pcm.status(), "invalid_audio");
  pipeline::ChatTurnRequest turn_req;
  turn_req.pcm = std::move(pcm).value();
  turn_req.history = r->history;
  turn_req.stt_model = r->models.stt;
  turn_req.llm_model = r->models.llm;
  turn_req.tts_model = r->models.tts;
  turn_req.voice = ResolveTurnVoice(ctx, r->models.tts, r->voice);
  turn_req.language = r->language;
  turn_req.text_only = r->text_only;
  turn_req.low_vram = r->low_vram;
  auto turn = pipeline::ChatTurn::Start(*ctx.scheduler, std::move(turn_req));
  if (!turn.ok()) return ErrorResponse(turn.status());
  const std::string transcription = (*turn)->message();
  auto result = (*turn)->Run({});
  turn->reset();
  if (!result.ok()) return ErrorResponse(result.status());
  json body = {{"transcription", transcription}, {"final_answer", result->answer},
               {"history", HistoryJson(result->history)}, {"model", r->models.llm}};
  if (result->speech) {
    auto path = StoreSpeech(ctx, *result->speech);
    if (!path.ok()) return ErrorResponse(path.status());
    body["audio_path"] = *path;
  }
  return JsonResponse(body);
}

// POST /api/voice-transcribe: speech to text only.
HttpResponse VoiceTranscribe(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseHarvisAudio(req, ModelKind::kStt);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  std::string model = r->models.stt.empty() ? ctx.config->defaults.stt : r->models.stt;
  if (Status s = CheckModelKind(*ctx.scheduler, model, ModelKind::kStt); !s.ok()) return ModelError(s);
  auto pcm = DecodeUpload(ctx, r->file->data);
  if (!pcm.ok()) return ErrorResponse(pcm.status(), "invalid_audio");
  auto lease = ctx.scheduler->Acquire(model);
  if (!lease.ok()) return ErrorResponse(lease.status());
  TranscribeOptions options;
  options.language = r->language;
  auto transcript = lease->Transcribe(*pcm, options);
  if (!transcript.ok()) return ErrorResponse(transcript.status());
  return JsonResponse({{"transcription", transcript->text}, {"model_used", model},
                       {"language", transcript->language}, {"duration", transcript->duration_s}});
}

// POST /api/synthesize-speech: text to speech, kept in the audio store.
HttpResponse SynthesizeSpeech(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseSynthesizeSpeech(req.body);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  auto model = ResolveTtsModel(ctx, r->tts);
  if (!model.ok()) return TurnError(model.status());
  auto lease = ctx.scheduler->Acquire(*model);
  if (!lease.ok()) return ErrorResponse(lease.status());
  SynthesizeOptions options;
  options.voice = ResolveTurnVoice(ctx, *model, r->voice);
  options.speed = r->speed;
  auto speech = pipeline::SpeakText(*lease, r->text, options);
  if (!speech.ok()) return ErrorResponse(speech.status());
  if (!*speech) return ErrorResponse(400, "'text' has nothing speakable in it", "invalid_request");
  auto path = StoreSpeech(ctx, **speech);
  if (!path.ok()) return ErrorResponse(path.status());
  return JsonResponse({{"audio_path", *path}, {"model_used", *model}, {"duration", Seconds(**speech)},
                       {"sample_rate", (*speech)->sample_rate}});
}

// GET /api/audio/{id}: only ids the store issued resolve; anything else is 404.
HttpResponse Audio(const ApiContext& ctx, const HttpRequest& req) {
  auto audio = ctx.audio_store->Get(req.path_params.at(0));
  if (!audio) return ErrorResponse(404, "audio not found (it may have expired)", "audio_not_found");
  HttpResponse res;
  res.content_type = audio->content_type;
  res.body = *audio->bytes;
  res.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return res;
}

HttpResponse TtsEngines(const ApiContext& ctx) {
  const std::string current = ctx.tts->Get();
  json engines = json::array();
  for (const auto& m : ctx.scheduler->ListModels()) {
    if (m.kind != ModelKind::kTts) continue;
    engines.push_back({{"name", m.name}, {"engine", m.engine}, {"state", m.state}, {"device", m.device},
                       {"default", m.name == current}, {"voices", OpenAiVoiceNames()}});
  }
  return JsonResponse({{"engines", engines}, {"current", current}});
}

// POST /api/tts-engine {"engine": NAME}: NAME is a TTS model or engine name.
HttpResponse SelectTtsEngine(const ApiContext& ctx, const HttpRequest& req) {
  auto parsed = ParseJsonObject(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.status(), "invalid_request");
  const json& j = *parsed;
  if (!j.contains("engine") || !j["engine"].is_string() || j["engine"].get<std::string>().empty()) {
    return ErrorResponse(400, "'engine' is required and must be a non-empty string", "invalid_request");
  }
  auto model = ResolveTtsModel(ctx, j["engine"]);
  if (!model.ok()) return TurnError(model.status());
  ctx.tts->Set(*model);
  return TtsEngines(ctx);
}

}  // namespace

void RegisterHarvisRoutes(HttpServer& server, const ApiContext& ctx) {
  server.Post("api_chat", "/api/chat", [ctx](const HttpRequest& r) { return Chat(ctx, r); });
  server.Post("api_mic_chat", "/api/mic-chat", [ctx](const HttpRequest& r) { return MicChat(ctx, r); });
  server.Post("api_voice_transcribe", "/api/voice-transcribe", [ctx](const HttpRequest& r) { return VoiceTranscribe(ctx, r); });
  server.Post("api_synthesize_speech", "/api/synthesize-speech",
              [ctx](const HttpRequest& r) { return SynthesizeSpeech(ctx, r); });
  server.Get("api_audio", "/api/audio/([^/]+)", [ctx](const HttpRequest& r) { return Audio(ctx, r); });
  server.Get("api_tts_engines", "/api/tts-engines", [ctx](const HttpRequest&) { return TtsEngines(ctx); });
  server.Post("api_tts_engine", "/api/tts-engine", [ctx](const HttpRequest& r) { return SelectTtsEngine(ctx, r); });
  RegisterVoiceRoute(server, ctx);
}

}  // namespace harvis::http
