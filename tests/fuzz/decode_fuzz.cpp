// libFuzzer target: the whole upload decode path (WAV fast path and libavformat /
// libavcodec / libswresample) with small limits. Any input must end in audio or a client
// error (413/415/422) with bounded output; crashes, sanitizer reports, leaks and broken
// invariants (trap) are findings.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audio/decode.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using harvis::ErrorCode;
  harvis::audio::DecodeLimits limits;
  limits.max_duration_seconds = 5;
  limits.max_bytes = 256 * 1024;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  harvis::Result<std::vector<float>> out = harvis::audio::DecodeToMono16k(bytes, limits);
  if (!out.ok()) {
    const ErrorCode code = out.status().code();
    Check(code == ErrorCode::kUnprocessable || code == ErrorCode::kUnsupportedMedia ||
          code == ErrorCode::kPayloadTooLarge);
    Check(!out.status().message().empty());
    return 0;
  }
  Check(!out->empty() && out->size() <= 5 * 16000 + 1);
  for (float v : *out) Check(std::isfinite(v) && v >= -1.0f && v <= 1.0f);
  return 0;
}
