// A small blocking HTTP client (libcurl) for talking to backends such as Ollama.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace harvis {

struct HttpResult {
  long status = 0;
  std::string body;
  std::string content_type;
};

// GET `url`. Connection failures are kUnavailable (naming the URL), timeouts kTimeout.
// Thread-safe.
Result<HttpResult> HttpGet(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace harvis
