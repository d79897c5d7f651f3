#include "http/errors.h"

#include "http/json_response.h"

#include <nlohmann/json.hpp>

namespace harvis::http {
namespace {

const char* TypeForHttpStatus(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 404: return "not_found_error";
    case 405: return "invalid_request_error";
    case 409: return "conflict_error";
    case 413: return "invalid_request_error";
    case 415: return "invalid_request_error";
    case 422: return "invalid_request_error";
    case 502: return "api_error";
    case 503: return "server_unavailable";
    case 504: return "timeout_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kUnsupportedMedia: return 415;
    case ErrorCode::kUnprocessable: return 422;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kResourceExhausted: return 503;
    case ErrorCode::kBadGateway: return 502;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kFailedPrecondition: return 409;  // e.g. a model that can never fit
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(int http_status, const std::string& message, const std::string& code) {
  nlohmann::json body = {
      {"error", {{"message", message}, {"type", TypeForHttpStatus(http_status)}, {"code", code}}}};
  HttpResponse res;
  res.status = http_status;
  res.body = DumpJson(body);
  return res;
}

HttpResponse ErrorResponse(const Status& status, const std::string& code) {
  HttpResponse res = ErrorResponse(HttpStatusFor(status.code()), status.message(),
                                   code.empty() ? ErrorCodeName(status.code()) : code);
  if (auto s = status.retry_after_seconds()) {
    res.headers.emplace_back("Retry-After", std::to_string(*s));
  }
  return res;
}

}  // namespace harvis::http
