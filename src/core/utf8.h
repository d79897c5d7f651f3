// UTF-8 helpers for text that engines generate piece by piece.
#pragma once

#include <cstddef>
#include <string>

namespace harvis {

// Replaces bytes that are not valid UTF-8 with U+FFFD, so that the text is safe for JSON.
std::string SanitizeUtf8(const std::string& in);

// Bytes at the end of `s` that begin a UTF-8 character whose continuation bytes are missing.
std::size_t UnfinishedUtf8Tail(const std::string& s);

}  // namespace harvis
