// Parsing and formatting of the sizes and durations used in configuration and APIs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace harvis {

using Duration = std::chrono::milliseconds;

constexpr uint64_t kKiB = 1024ull;
constexpr uint64_t kMiB = 1024ull * kKiB;
constexpr uint64_t kGiB = 1024ull * kMiB;

// Sizes: a plain byte count ("1048576"), binary units ("600MiB", "24Gi"), or decimal
// units as Kubernetes and Ollama write them ("24GB", "24G", "500M"). Fractions are
// allowed with a unit ("1.5GiB"). Negative, empty or unknown units: nullopt.
std::optional<uint64_t> ParseSize(std::string_view text);

// Durations: Go/Ollama style ("5m", "300s", "1h30m", "250ms", "1.5s"), or a plain
// number of seconds ("30"). Negative values are rejected here: keep_alive's "-1"
// (forever) is handled by ParseKeepAlive.
std::optional<Duration> ParseDuration(std::string_view text);

// keep_alive: a duration, or any negative number ("-1", "-1s") meaning "forever",
// which is returned as kForever.
constexpr Duration kForever = Duration::max();
std::optional<Duration> ParseKeepAlive(std::string_view text);

// "24.0GiB", "600.0MiB", "512B": for logs and messages.
std::string FormatBytes(uint64_t bytes);
// "5m0s"-style is noisy; we print "300s", "1.5s", "250ms", or "forever".
std::string FormatDuration(Duration d);

}  // namespace harvis
