// Small helpers for reading the one-line and "key value" text files of /proc and the
// cgroup filesystem. Internal to the resources layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace harvis::resources {

// Whole file as text (at most `max_bytes`), or nullopt when it cannot be opened.
// Thread-safe (no shared state).
std::optional<std::string> ReadTextFile(const std::filesystem::path& path,
                                        size_t max_bytes = 1 << 20);

// `text` without leading and trailing whitespace.
std::string_view Trim(std::string_view text);

// A whole (trimmed) decimal number; nullopt for empty text, signs, junk or overflow.
std::optional<uint64_t> ParseUint64(std::string_view text);
// Same, allowing a leading '-'.
std::optional<int64_t> ParseInt64(std::string_view text);

// In text made of lines "KEY VALUE..." (cpu.stat, memory.stat, /proc/meminfo with
// KEY "MemTotal:"), the first number after KEY; nullopt when absent or malformed.
std::optional<uint64_t> FindKeyedValue(std::string_view text, std::string_view key);

}  // namespace harvis::resources
