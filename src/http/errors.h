// The one place where a Status becomes an HTTP status and a JSON error body (SPEC §5):
// {"error": {"message": "...", "type": "...", "code": "..."}}.
#pragma once

#include <string>

#include "core/status.h"
#include "http/server.h"

namespace harvis::http {

int HttpStatusFor(ErrorCode code);

// A JSON error response. `code` is a short machine-readable reason ("invalid_json",
// "model_not_found"); empty means the ErrorCode's name. Sets Retry-After when the
// status carries one.
HttpResponse ErrorResponse(const Status& status, const std::string& code = "");
HttpResponse ErrorResponse(int http_status, const std::string& message, const std::string& code);

}  // namespace harvis::http
