// Server-sent events framing (text/event-stream).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "http/json_response.h"
#include "http/server.h"

namespace harvis::http {

// "data: {json}\n\n" (an unnamed event, as /v1/chat/completions and /api/chat send).
inline std::string SseData(const nlohmann::json& data) { return "data: " + DumpJson(data) + "\n\n"; }

// "event: NAME\ndata: {json}\n\n" (a named event, as /api/voice sends).
inline std::string SseEvent(const std::string& name, const nlohmann::json& data) {
  return "event: " + name + "\n" + SseData(data);
}

// A response whose body `stream` writes as server-sent events.
inline HttpResponse SseResponse(std::function<void(StreamSink&)> stream) {
  HttpResponse res;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.headers.emplace_back("X-Accel-Buffering", "no");  // proxies must not buffer the stream
  res.stream = std::move(stream);
  return res;
}

}  // namespace harvis::http
