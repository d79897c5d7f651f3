// Small helpers shared by the route files.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/status.h"
#include "http/server.h"

namespace harvis::http {

inline HttpResponse JsonResponse(const nlohmann::json& body, int status = 200) {
  HttpResponse res;
  res.status = status;
  res.body = body.dump();
  return res;
}

// RFC 3339 UTC, as Ollama and OpenAI clients expect.
std::string Rfc3339(std::chrono::system_clock::time_point t);

// "5m", "300", 300, -1 as keep_alive (Ollama accepts strings and numbers of seconds).
Result<Duration> KeepAliveFromJson(const nlohmann::json& value);

}  // namespace harvis::http
