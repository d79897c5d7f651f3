#include "core/logging.h"

#include <chrono>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace harvis {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("harvis");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
  // Warnings and errors reach the log at once; the rest is flushed every second, so the
  // access log does not cost a write(2) per request.
  spdlog::flush_on(spdlog::level::warn);
  spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace harvis
