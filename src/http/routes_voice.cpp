// POST /api/voice: the streaming voice turn. Audio in; server-sent events out:
//   event: transcript  {"text", "language", "duration"}             once
//   event: token       {"content"}                                  as the LLM writes
//   event: audio       {"index", "text", "format": "wav", "sample_rate", "audio": base64}
//                                                                   one per sentence, as soon as it is complete
//   event: done        {"answer", "sentences", "timings": {stt_ms, first_token_ms, first_audio_ms, total_ms}}
//   event: error       {"error": {message, type, code}}             instead of done, on a failure mid-turn
// Failures before the stream starts (bad input, unknown model, no room, no speech) are
// plain HTTP errors. A client that goes away stops generation and synthesis.
#include <nlohmann/json.hpp>

#include "audio/wav.h"
#include "core/base64.h"
#include "http/errors.h"
#include "http/harvis_requests.h"
#include "http/routes.h"
#include "http/sse.h"
#include "pipeline/voice_turn.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

class SseVoiceSink : public pipeline::VoiceTurnSink {
 public:
  explicit SseVoiceSink(StreamSink& sink) : sink_(sink) {}
  bool Token(std::string_view token) override {
    return sink_.Write(SseEvent("token", {{"content", std::string(token)}}));
  }
  bool Audio(size_t index, const std::string& sentence, const SpeechAudio& audio) override {
    return sink_.Write(SseEvent("audio", {{"index", index}, {"text", sentence}, {"format", "wav"},
                                          {"sample_rate", audio.sample_rate},
                                          {"audio", Base64Encode(audio::EncodeWav(audio.pcm, audio.sample_rate))}}));
  }

 private:
  StreamSink& sink_;
};

json Milliseconds(double seconds) { return seconds < 0 ? json(nullptr) : json(std::lround(seconds * 1000)); }

HttpResponse Voice(const ApiContext& ctx, const HttpRequest& req) {
  auto r = ParseHarvisAudio(req, ModelKind::kLlm);
  if (!r.ok()) return ErrorResponse(r.status(), "invalid_request");
  if (Status s = ResolveTurnModels(ctx, r->models, true, true); !s.ok()) return ModelError(s);
  auto pcm = DecodeUpload(ctx, r->file->data);
  if (!pcm.ok()) return ErrorResponse(pcm.status(), "invalid_audio");
  pipeline::VoiceTurnRequest turn_req;
  turn_req.pcm = std::move(pcm).value();
  turn_req.stt_model = r->models.stt;
  turn_req.llm_model = r->models.llm;
  turn_req.tts_model = r->models.tts;
  turn_req.voice = ResolveTurnVoice(ctx, r->models.tts, r->voice);
  turn_req.language = r->language;
  turn_req.history = r->history;
  auto started = pipeline::VoiceTurn::Start(*ctx.scheduler, std::move(turn_req));
  if (!started.ok()) return ErrorResponse(started.status());
  std::shared_ptr<pipeline::VoiceTurn> turn = std::move(started).value();
  return SseResponse([turn](StreamSink& sink) mutable {
    const Transcript& t = turn->transcript();
    if (!sink.Write(SseEvent("transcript", {{"text", t.text}, {"language", t.language}, {"duration", t.duration_s}}))) {
      return;
    }
    SseVoiceSink voice_sink(sink);
    auto result = turn->Stream(voice_sink);
    turn.reset();  // releases the turn's leases
    if (!result.ok()) {
      sink.Write(SseEvent("error", json::parse(ErrorResponse(result.status()).body)));
      return;
    }
    if (result->cancelled) return;  // the client is gone
    const auto& tm = result->timings;
    sink.Write(SseEvent("done", {{"answer", result->answer}, {"sentences", result->sentences},
                                 {"timings", {{"stt_ms", Milliseconds(tm.stt_s)},
                                              {"first_token_ms", Milliseconds(tm.first_token_s)},
                                              {"first_audio_ms", Milliseconds(tm.first_audio_s)},
                                              {"total_ms", Milliseconds(tm.total_s)}}}}));
  });
}

}  // namespace

void RegisterVoiceRoute(HttpServer& server, const ApiContext& ctx) {
  server.Post("api_voice", "/api/voice", [ctx](const HttpRequest& r) { return Voice(ctx, r); });
}

}  // namespace harvis::http
