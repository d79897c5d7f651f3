#include "audio/decode.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "audio/libav_decode.h"
#include "audio/resample.h"
#include "audio/wav.h"

namespace harvis::audio {
namespace {

// The fast path: PCM/float WAV through the strict parser; the duration is checked from
// the header before any sample is converted.
Result<std::vector<float>> DecodeWav(std::string_view bytes, const WavInfo& info,
                                     const DecodeLimits& limits) {
  if (!(info.duration_seconds() <= limits.max_duration_seconds)) {
    return internal::AudioTooLong(limits.max_duration_seconds);
  }
  if (info.frames == 0) return Status(ErrorCode::kUnprocessable, "WAV file contains no samples");
  std::vector<float> mono = ConvertWavSamples(bytes, info, /*to_mono=*/true);
  std::vector<float> out = ResampleFloat(mono, info.sample_rate, kSttSampleRate);
  if (out.empty()) {
    return Status(ErrorCode::kUnprocessable, "WAV audio too short to resample");
  }
  for (float& v : out) v = std::clamp(v, -1.0f, 1.0f);  // resampling may overshoot full scale
  return out;
}

}  // namespace

namespace internal {

Status AudioTooLong(double max_seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "audio longer than %g s", max_seconds);
  return Status(ErrorCode::kPayloadTooLarge, text);
}

}  // namespace internal

Result<std::vector<float>> DecodeToMono16k(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.empty()) return Status(ErrorCode::kUnprocessable, "empty audio");
  if (bytes.size() > limits.max_bytes) {
    return Status(ErrorCode::kPayloadTooLarge,
                  "audio larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (bytes.starts_with("RIFF")) {
    Result<WavInfo> info = ParseWavHeader(bytes);
    if (info.ok()) return DecodeWav(bytes, *info, limits);
    if (info.status().code() != ErrorCode::kUnsupportedMedia) return info.status();
    // Compressed WAV (A-law, ADPCM, ...) may still be something libavcodec decodes.
    Result<std::vector<float>> decoded = internal::DecodeWithLibav(bytes, limits);
    if (decoded.ok() || decoded.status().code() != ErrorCode::kUnsupportedMedia) return decoded;
    return info.status();
  }
  return internal::DecodeWithLibav(bytes, limits);
}

bool IsSilent(const std::vector<float>& samples, float threshold) {
  for (float s : samples) {
    if (!(std::fabs(s) <= threshold)) return false;
  }
  return true;
}

}  // namespace harvis::audio
