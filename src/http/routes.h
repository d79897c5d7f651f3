// Route registration. Each function adds one group of routes to an HttpServer; the
// handlers reach models only through the scheduler (leases), never engines directly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "http/server.h"
#include "http/tts_selection.h"

namespace harvis {
class Scheduler;
namespace resources {
class ResourceMonitor;
}
namespace pipeline {
class AudioStore;
}
}  // namespace harvis

namespace harvis::http {

// What the API routes use. Everything must outlive the server.
struct ApiContext {
  const Config* config = nullptr;
  Scheduler* scheduler = nullptr;
  resources::ResourceMonitor* monitor = nullptr;
  int64_t started_unix = 0;  // "created" of OpenAI objects
  pipeline::AudioStore* audio_store = nullptr;  // generated audio for GET /api/audio/{id}
  TtsSelection* tts = nullptr;                  // the default TTS model (POST /api/tts-engine)
};

struct HealthDeps {
  std::function<bool()> ready;                 // true while serving (not starting or draining)
  std::function<std::string()> metrics_text;  // Prometheus text exposition
};

// OK when `name` is a registered model of `kind`: kNotFound when unknown, kInvalidArgument
// when it is a model of another kind. Used by every inference route.
Status CheckModelKind(const Scheduler& scheduler, const std::string& name, ModelKind kind);
// The response for a failed CheckModelKind: 404 model_not_found or 400 invalid_model.
HttpResponse ModelError(const Status& status);

// Decodes an uploaded audio file to 16 kHz mono within the server's size and duration
// limits (413, 415, 422).
Result<std::vector<float>> DecodeUpload(const ApiContext& context, const std::string& data);

// GET /healthz, GET /readyz, GET /metrics.
void RegisterHealthRoutes(HttpServer& server, HealthDeps deps);

// GET /v1/models, POST /v1/chat/completions, /v1/audio/transcriptions, /v1/audio/speech.
void RegisterOpenAiRoutes(HttpServer& server, const ApiContext& context);

// POST /v1/audio/transcriptions and /v1/audio/speech (called by RegisterOpenAiRoutes).
void RegisterAudioRoutes(HttpServer& server, const ApiContext& context);

// Harvis routes: POST /api/chat, /api/mic-chat, /api/voice-transcribe,
// /api/synthesize-speech, /api/tts-engine; GET /api/audio/{id}, /api/tts-engines.
void RegisterHarvisRoutes(HttpServer& server, const ApiContext& context);

// POST /api/voice: the streaming voice turn.
void RegisterVoiceRoute(HttpServer& server, const ApiContext& context);

// GET /v1/realtime (WebSocket): the OpenAI Realtime voice session (routes_realtime.cpp).
void RegisterRealtimeRoute(HttpServer& server, const ApiContext& context);
// Runs one /v1/realtime connection until the client closes it: the route's handler,
// callable without a server (realtime_protocol.cpp).
void ServeRealtime(const ApiContext& context, const HttpRequest& request, WebSocketConnection& socket);

// GET /: the built-in web page (microphone in, audio out over /v1/realtime).
void RegisterWebPage(HttpServer& server);

// GET /api/ps, /api/models, /api/resources; POST /api/models/{name}/load|unload.
void RegisterAdminRoutes(HttpServer& server, const ApiContext& context);

}  // namespace harvis::http
