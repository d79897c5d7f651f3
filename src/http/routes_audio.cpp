// OpenAI audio routes: /v1/audio/transcriptions (multipart upload -> text) and
// /v1/audio/speech (JSON -> WAV or raw PCM).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "audio/decode.h"
#include "audio/wav.h"
#include "http/errors.h"
#include "http/json_body.h"
#include "http/json_response.h"
#include "http/multipart.h"
#include "http/routes.h"
#include "http/voices.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

// "00:00:01,500" (srt) or "00:00:01.500" (vtt).
std::string Timestamp(double seconds, char separator) {
  long ms = std::lround(seconds * 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld%c%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60,
                separator, ms % 1000);
  return buf;
}

std::string Subtitles(const Transcript& t, bool vtt) {
  std::string out = vtt ? "WEBVTT\n\n" : "";
  int n = 1;
  for (const auto& s : t.segments) {
    if (!vtt) out += std::to_string(n++) + "\n";
    out += Timestamp(s.start_s, vtt ? '.' : ',') + " --> " + Timestamp(s.end_s, vtt ? '.' : ',') + "\n" + s.text + "\n\n";
  }
  return out;
}

HttpResponse FormatTranscript(const Transcript& t, const std::string& format) {
  HttpResponse res;
  if (format == "text") {
    res.content_type = "text/plain; charset=utf-8";
    res.body = t.text + "\n";
  } else if (format == "srt" || format == "vtt") {
    res.content_type = format == "vtt" ? "text/vtt; charset=utf-8" : "application/x-subrip; charset=utf-8";
    res.body = Subtitles(t, format == "vtt");
  } else if (format == "verbose_json") {
    json segments = json::array();
    for (size_t i = 0; i < t.segments.size(); ++i) {
      const auto& s = t.segments[i];
      segments.push_back({{"id", i}, {"start", s.start_s}, {"end", s.end_s}, {"text", s.text}});
    }
    res = JsonResponse({{"task", "transcribe"}, {"language", t.language}, {"duration", t.duration_s},
                        {"text", t.text}, {"segments", segments}});
  } else {
    res = JsonResponse({{"text", t.text}});
  }
  return res;
}

HttpResponse Transcriptions(const ApiContext& ctx, const HttpRequest& req) {
  const auto& form = req.form;
  if (!form) {
    return ErrorResponse(415, "expected a multipart/form-data upload with the audio in the 'file' field",
                         "unsupported_media_type");
  }
  const FormPart* file = form->Find("file");
  if (!file) return ErrorResponse(400, "the 'file' field (the audio) is required", "invalid_request");
  const std::string model = form->Field("model").value_or(ctx.config->defaults.stt);
  const std::string format = form->Field("response_format").value_or("json");
  if (format != "json" && format != "text" && format != "verbose_json" && format != "srt" && format != "vtt") {
    return ErrorResponse(400, "'response_format' must be one of json, text, verbose_json, srt, vtt", "invalid_request");
  }
  if (Status s = CheckModelKind(*ctx.scheduler, model, ModelKind::kStt); !s.ok()) return ModelError(s);
  auto pcm = DecodeUpload(ctx, file->data);
  if (!pcm.ok()) return ErrorResponse(pcm.status(), "invalid_audio");
  auto lease = ctx.scheduler->Acquire(model);
  if (!lease.ok()) return ErrorResponse(lease.status());
  TranscribeOptions options;
  options.language = form->Field("language").value_or("");
  options.prompt = form->Field("prompt").value_or("");
  auto transcript = lease->Transcribe(*pcm, options);
  if (!transcript.ok()) return ErrorResponse(transcript.status());
  return FormatTranscript(*transcript, format);
}

struct SpeechRequest {
  std::string model, input, voice, format = "wav";
  double speed = 1.0;
  int sample_rate = 0;
};

Result<SpeechRequest> ParseSpeechRequest(const ApiContext& ctx, const std::string& body) {
  auto parsed = ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  SpeechRequest r;
  auto invalid = [](const std::string& m) { return Status(ErrorCode::kInvalidArgument, m); };
  if (!j.contains("input") || !j["input"].is_string()) return invalid("'input' is required and must be a string");
  r.input = j["input"];
  if (r.input.find_first_not_of(" \t\r\n") == std::string::npos) return invalid("'input' must not be empty");
  if (r.input.size() > 4096) return invalid("'input' must be at most 4096 characters");
  for (const char* field : {"model", "voice", "response_format"}) {
    if (j.contains(field) && !j[field].is_string()) return invalid(std::string("'") + field + "' must be a string");
  }
  r.model = j.value("model", ctx.config->defaults.tts);
  r.voice = j.value("voice", "");
  r.format = j.value("response_format", "wav");
  if (r.format != "wav" && r.format != "pcm") {
    return invalid("'response_format' must be wav or pcm (this server does not encode " + r.format + ")");
  }
  if (j.contains("speed")) {
    if (!j["speed"].is_number()) return invalid("'speed' must be a number");
    r.speed = j["speed"];
    if (r.speed < 0.25 || r.speed > 4.0) return invalid("'speed' must be between 0.25 and 4.0");
  }
  if (j.contains("sample_rate")) {
    if (!j["sample_rate"].is_number_integer()) return invalid("'sample_rate' must be an integer");
    r.sample_rate = j["sample_rate"];
    if (r.sample_rate < 8000 || r.sample_rate > 48000) return invalid("'sample_rate' must be between 8000 and 48000");
  }
  return r;
}

HttpResponse Speech(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseSpeechRequest(ctx, req.body);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  if (Status s = CheckModelKind(*ctx.scheduler, r->model, ModelKind::kTts); !s.ok()) return ModelError(s);
  auto model = ctx.scheduler->GetModel(r->model);
  auto lease = ctx.scheduler->Acquire(r->model);
  if (!lease.ok()) return ErrorResponse(lease.status());
  SynthesizeOptions options;
  options.voice = ResolveVoice(model->engine, r->voice);
  options.speed = r->speed;
  options.sample_rate = r->sample_rate;
  auto speech = lease->Synthesize(r->input, options);
  if (!speech.ok()) return ErrorResponse(speech.status(), "invalid_request");
  HttpResponse res;
  if (r->format == "pcm") {
    res.content_type = "audio/pcm";
    res.headers.emplace_back("X-Sample-Rate", std::to_string(speech->sample_rate));
    res.body = audio::EncodePcm16(speech->pcm);
  } else {
    res.content_type = "audio/wav";
    res.body = audio::EncodeWav(speech->pcm, speech->sample_rate);
  }
  return res;
}

}  // namespace

Result<std::vector<float>> DecodeUpload(const ApiContext& ctx, const std::string& data) {
  audio::DecodeLimits limits;
  limits.max_bytes = ctx.config->server.max_body;
  limits.max_duration_seconds = std::chrono::duration<double>(ctx.config->server.max_audio_duration).count();
  return audio::DecodeToMono16k(data, limits);
}

void RegisterAudioRoutes(HttpServer& server, const ApiContext& ctx) {
  server.Post("v1_audio_transcriptions", "/v1/audio/transcriptions",
              [ctx](const HttpRequest& req) { return Transcriptions(ctx, req); });
  server.Post("v1_audio_speech", "/v1/audio/speech", [ctx](const HttpRequest& req) { return Speech(ctx, req); });
}

}  // namespace harvis::http
