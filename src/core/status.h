// Status and Result: how every module reports failure. Exceptions never cross a module
// boundary; the http layer maps a Status to an HTTP status and JSON body in one place.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace harvis {

enum class ErrorCode {
  kOk,
  kInvalidArgument,     // 400: the client sent something malformed
  kUnauthenticated,     // 401
  kNotFound,            // 404: unknown model, route or resource
  kConflict,            // 409: e.g. unloading a leased model
  kPayloadTooLarge,     // 413
  kUnsupportedMedia,    // 415
  kUnprocessable,       // 422: well-formed but unusable input (e.g. silent audio)
  kUnavailable,         // 503: saturated, starting, draining, or a backend is down
  kBadGateway,          // 502: a backend answered garbage
  kTimeout,             // 504: a backend did not answer in time
  kResourceExhausted,   // 503 with Retry-After: queue full / no room
  kFailedPrecondition,  // the server cannot start with this configuration
  kInternal,            // 500: a bug on our side, never a client's mistake
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Seconds a client should wait before retrying (sent as Retry-After), when known.
  std::optional<int> retry_after_seconds() const { return retry_after_; }
  Status& WithRetryAfter(int seconds) {
    retry_after_ = seconds;
    return *this;
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::optional<int> retry_after_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace harvis
