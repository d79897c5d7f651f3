// libFuzzer target: the strict WAV parser. Any input must either be rejected with a
// Status or parse into a result whose invariants hold; crashes, sanitizer reports and
// broken invariants (trap) are findings.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audio/wav.h"

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace harvis::audio;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  harvis::Result<WavInfo> info = ParseWavHeader(bytes);
  if (!info.ok()) {
    Check(!info.status().message().empty());
    return 0;
  }
  Check(info->channels >= 1 && info->channels <= 32);
  Check(info->sample_rate >= 1 && info->sample_rate <= 384000);
  Check(info->data_bytes == info->frames * static_cast<size_t>(info->block_align));
  Check(info->data_offset <= size && info->data_bytes <= size - info->data_offset);
  harvis::Result<PcmAudio> pcm = ParseWav(bytes);
  harvis::Result<PcmAudio> mono = ParseWavMono(bytes);
  Check(pcm.ok() && mono.ok());
  Check(pcm->samples.size() == info->frames * static_cast<size_t>(info->channels));
  Check(mono->samples.size() == info->frames);
  for (float v : pcm->samples) Check(std::isfinite(v) && v >= -1.0f && v <= 1.0f);
  for (float v : mono->samples) Check(std::isfinite(v) && v >= -1.0f && v <= 1.0f);
  return 0;
}
