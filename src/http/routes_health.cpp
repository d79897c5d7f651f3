#include <nlohmann/json.hpp>

#include "http/routes.h"

namespace harvis::http {

void RegisterHealthRoutes(HttpServer& server, HealthDeps deps) {
  server.Get("healthz", "/healthz", [](const HttpRequest&) {
    HttpResponse res;
    res.body = R"({"status":"ok"})";
    return res;
  });
  server.Get("readyz", "/readyz", [ready = deps.ready](const HttpRequest&) {
    HttpResponse res;
    bool ok = ready();
    res.status = ok ? 200 : 503;
    res.body = nlohmann::json{{"status", ok ? "ready" : "not ready"}}.dump();
    if (!ok) res.headers.emplace_back("Retry-After", "5");
    return res;
  });
  server.Get("metrics", "/metrics", [text = deps.metrics_text](const HttpRequest&) {
    HttpResponse res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = text();
    return res;
  });
}

}  // namespace harvis::http
