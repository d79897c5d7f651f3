// Decoding of uploaded audio (WAV and the formats browsers and phones record) to the
// 16 kHz mono float samples that speech-to-text engines take.
//
// WAV in PCM or float goes through the strict parser of wav.h (fast path); anything else
// (webm/opus, ogg/opus, ogg/vorbis, mp3, m4a/aac, flac, compressed WAV, ...) is probed
// and decoded from memory with libavformat/libavcodec and converted with libswresample.
//
// Errors (ErrorCode -> HTTP status, SPEC §5):
//   kUnprocessable (422)    empty input; truncated or corrupt data with no decodable audio;
//                           a header that is inconsistent (see wav.h); a stream with no samples.
//   kUnsupportedMedia (415) unrecognised container, or a container or codec outside the
//                           supported set (the message names what was found).
//   kPayloadTooLarge (413)  more than max_bytes of input, or audio longer than
//                           max_duration_seconds ("audio longer than N s"). Decoding stops as
//                           soon as the limit is passed, so memory stays bounded by the limit.
// Digital silence is not an error: IsSilent() lets callers decide. No input crashes.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace harvis::audio {

inline constexpr int kSttSampleRate = 16000;

struct DecodeLimits {
  double max_duration_seconds = 600;    // longer audio is kPayloadTooLarge
  size_t max_bytes = 64u * 1024 * 1024;  // larger input is kPayloadTooLarge
};

// Decodes any supported audio file held in `bytes` to 16 kHz mono floats in [-1, 1].
// Thread-safe: no shared state besides libav's global log level, silenced once.
Result<std::vector<float>> DecodeToMono16k(std::string_view bytes,
                                           const DecodeLimits& limits = {});

// True when no sample's magnitude exceeds `threshold` (e.g. 1/32768 for digital silence
// at 16 bits); an empty buffer is silent. Pure and thread-safe.
bool IsSilent(const std::vector<float>& samples, float threshold = 1.0f / 32768.0f);

}  // namespace harvis::audio
