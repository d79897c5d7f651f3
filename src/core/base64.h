// Base64 (RFC 4648, with padding), e.g. for audio carried inside JSON events.
#pragma once

#include <string>
#include <string_view>

namespace harvis {

std::string Base64Encode(std::string_view bytes);

}  // namespace harvis
