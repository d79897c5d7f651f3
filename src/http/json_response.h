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

// Serializes a response body. Strings from engines (transcripts, LLM tokens) may hold
// invalid UTF-8, e.g. a character split between two tokens: it is replaced (U+FFFD)
// rather than thrown on.
inline std::string DumpJson(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline HttpResponse JsonResponse(const nlohmann::json& body, int status = 200) {
  HttpResponse res;
  res.status = status;
  res.body = DumpJson(body);
  return res;
}

// RFC 3339 UTC, as Ollama and OpenAI clients expect.
std::string Rfc3339(std::chrono::system_clock::time_point t);

// "5m", "300", 300, -1 as keep_alive (Ollama accepts strings and numbers of seconds).
Result<Duration> KeepAliveFromJson(const nlohmann::json& value);

}  // namespace harvis::http
