// Route registration. Each function adds one group of routes to an HttpServer.
#pragma once

#include <functional>
#include <string>

#include "core/config.h"
#include "http/server.h"

namespace harvis::http {

struct HealthDeps {
  std::function<bool()> ready;                 // true while serving (not starting or draining)
  std::function<std::string()> metrics_text;  // Prometheus text exposition
};

// GET /healthz, GET /readyz, GET /metrics.
void RegisterHealthRoutes(HttpServer& server, HealthDeps deps);

// GET /v1/models and POST /v1/chat/completions. `config` must outlive the server.
void RegisterOpenAiRoutes(HttpServer& server, const Config& config, int64_t created_unix);

}  // namespace harvis::http
