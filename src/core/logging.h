// Process-wide logging set-up (spdlog, to stderr).
#pragma once

#include <string>

namespace harvis {

// Sets the default logger's level ("trace" .. "error") and line format. Call once at
// start-up, before other threads log.
void SetupLogging(const std::string& level);

}  // namespace harvis
