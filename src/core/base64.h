// Base64 (RFC 4648, with padding), e.g. for audio carried inside JSON events.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace harvis {

std::string Base64Encode(std::string_view bytes);
// Decodes standard base64; padding is optional. nullopt on any other character or a
// length that cannot be base64 (one leftover symbol).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace harvis
