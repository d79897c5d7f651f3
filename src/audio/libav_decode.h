// Internal to the audio layer: decoding through libavformat/libavcodec/libswresample.
#pragma once

#include <string_view>
#include <vector>

#include "audio/decode.h"

namespace harvis::audio::internal {

// Probes and decodes `bytes` from memory to 16 kHz mono floats, honouring
// limits.max_duration_seconds (not max_bytes: the caller checks it). Error codes as in
// decode.h. Thread-safe: each call owns its libav contexts.
Result<std::vector<float>> DecodeWithLibav(std::string_view bytes, const DecodeLimits& limits);

// The kPayloadTooLarge status for audio longer than `max_seconds` ("audio longer than N s");
// defined in decode.cpp. Pure.
Status AudioTooLong(double max_seconds);

}  // namespace harvis::audio::internal
