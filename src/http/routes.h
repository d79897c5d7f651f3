// Route registration. Each function adds one group of routes to an HttpServer; the
// handlers reach models only through the scheduler (leases), never engines directly.
#pragma once

#include <functional>
#include <string>

#include "core/config.h"
#include "http/server.h"

namespace harvis {
class Scheduler;
namespace resources {
class ResourceMonitor;
}
}  // namespace harvis

namespace harvis::http {

// What the API routes use. Everything must outlive the server.
struct ApiContext {
  const Config* config = nullptr;
  Scheduler* scheduler = nullptr;
  resources::ResourceMonitor* monitor = nullptr;
  int64_t started_unix = 0;  // "created" of OpenAI objects
};

struct HealthDeps {
  std::function<bool()> ready;                 // true while serving (not starting or draining)
  std::function<std::string()> metrics_text;  // Prometheus text exposition
};

// OK when `name` is a registered model of `kind`: kNotFound when unknown, kInvalidArgument
// when it is a model of another kind. Used by every inference route.
Status CheckModelKind(const Scheduler& scheduler, const std::string& name, ModelKind kind);

// GET /healthz, GET /readyz, GET /metrics.
void RegisterHealthRoutes(HttpServer& server, HealthDeps deps);

// GET /v1/models, POST /v1/chat/completions, /v1/audio/transcriptions, /v1/audio/speech.
void RegisterOpenAiRoutes(HttpServer& server, const ApiContext& context);

// POST /v1/audio/transcriptions and /v1/audio/speech (called by RegisterOpenAiRoutes).
void RegisterAudioRoutes(HttpServer& server, const ApiContext& context);

// GET /api/ps, /api/models, /api/resources; POST /api/models/{name}/load|unload.
void RegisterAdminRoutes(HttpServer& server, const ApiContext& context);

}  // namespace harvis::http
