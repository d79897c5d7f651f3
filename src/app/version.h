#pragma once

namespace harvis::app {
inline constexpr const char* kVersion = "0.1.0";
}
