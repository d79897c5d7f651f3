#include "http/json_response.h"

#include <ctime>

namespace harvis::http {

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Duration> KeepAliveFromJson(const nlohmann::json& value) {
  std::optional<Duration> parsed;
  if (value.is_number_integer()) {
    long long seconds = value.get<long long>();
    parsed = seconds < 0 ? kForever : Duration(std::chrono::seconds(seconds));
  } else if (value.is_string()) {
    parsed = ParseKeepAlive(value.get<std::string>());
  }
  if (!parsed) {
    return Status(ErrorCode::kInvalidArgument,
                  "'keep_alive' must be a duration such as \"5m\", a number of seconds, or -1 for forever");
  }
  return *parsed;
}

}  // namespace harvis::http
