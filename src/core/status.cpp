#include "core/status.h"

namespace harvis {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_request_error";
    case ErrorCode::kUnauthenticated: return "authentication_error";
    case ErrorCode::kNotFound: return "not_found_error";
    case ErrorCode::kConflict: return "conflict_error";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kUnsupportedMedia: return "unsupported_media_type";
    case ErrorCode::kUnprocessable: return "unprocessable_entity";
    case ErrorCode::kUnavailable: return "service_unavailable";
    case ErrorCode::kBadGateway: return "bad_gateway";
    case ErrorCode::kTimeout: return "timeout_error";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kFailedPrecondition: return "failed_precondition";
    case ErrorCode::kInternal: return "internal_error";
  }
  return "internal_error";
}

}  // namespace harvis
