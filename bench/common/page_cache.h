// Page-cache control for cold-load measurements (bench/whisper, bench/llama).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harvis::bench {

// Writes `bytes` to a new file, fsyncs it and asks the kernel to drop its cached pages.
bool WriteUncached(const std::string& path, const std::vector<std::uint8_t>& bytes);
// Drops the whole page cache (root only; fails in most containers).
bool DropCaches();
// Fraction of the file's pages resident in the page cache (-1 if unknown).
double ResidentFraction(const std::string& path);

}  // namespace harvis::bench
