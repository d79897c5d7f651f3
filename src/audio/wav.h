// WAV (RIFF/WAVE) reading and writing, and raw little-endian PCM helpers.
//
// The parser is strict about structure and tolerant about what real writers do:
//   accepted  PCM 8-bit unsigned; 16/24/32-bit signed integer; 32/64-bit IEEE float;
//             WAVE_FORMAT_EXTENSIBLE carrying any of those; 1..32 channels; 1 Hz..384 kHz;
//             unknown chunks (LIST, fact, cue, ...) skipped; odd-sized chunks with or
//             without their pad byte; a data chunk of size 0 or 0xFFFFFFFF (streaming
//             writers) read to the end of the buffer; a trailing partial frame dropped.
//   rejected  kUnprocessable (422): truncated header, fmt or data chunk; missing fmt or
//             data; channels, rate or block align out of range or inconsistent.
//             kUnsupportedMedia (415): not RIFF/WAVE; compressed format tags (named in
//             the message, e.g. "IMA ADPCM (0x0011)"); sample sizes other than above.
// Every function here is pure: thread-safe, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace harvis::audio {

// Decoded PCM: interleaved samples in [-1, 1], frames = samples.size() / channels.
struct PcmAudio {
  std::vector<float> samples;
  int sample_rate = 0;
  int channels = 0;
};

enum class WavSampleType { kUnsigned8, kSigned16, kSigned24, kSigned32, kFloat32, kFloat64 };

// What the header of a WAV file says, validated, before any sample is converted.
struct WavInfo {
  uint16_t format_tag = 0;  // 1 PCM, 3 IEEE float (the extensible subformat, if any)
  bool extensible = false;  // the fmt chunk was WAVE_FORMAT_EXTENSIBLE (0xFFFE)
  WavSampleType sample_type = WavSampleType::kSigned16;
  int channels = 0;
  int sample_rate = 0;
  int bits_per_sample = 0;   // container size: 8, 16, 24, 32 or 64
  int block_align = 0;       // bytes per frame = channels * bits_per_sample / 8
  size_t data_offset = 0;    // where the samples start in the buffer
  size_t data_bytes = 0;     // whole frames only
  size_t frames = 0;

  double duration_seconds() const {
    return sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0;
  }
};

// True when `bytes` starts like a RIFF/WAVE file (the first 12 bytes); pure.
bool LooksLikeWav(std::string_view bytes);

// Validates the RIFF structure and fmt chunk and locates the samples; allocates nothing
// proportional to the input. Pure and thread-safe.
Result<WavInfo> ParseWavHeader(std::string_view bytes);

// Parses a whole WAV file into interleaved float samples. Pure and thread-safe.
Result<PcmAudio> ParseWav(std::string_view bytes);

// Parses a whole WAV file straight to mono (channel average) without an interleaved
// intermediate; `channels` of the result is 1. Pure and thread-safe.
Result<PcmAudio> ParseWavMono(std::string_view bytes);

// Converts the samples `info` describes (from ParseWavHeader on the same `bytes`) into
// float, averaging channels when `to_mono`. Pure and thread-safe.
std::vector<float> ConvertWavSamples(std::string_view bytes, const WavInfo& info, bool to_mono);

// A 44-byte canonical header for 16-bit PCM; data_bytes 0xFFFFFFFF marks a stream whose
// length is unknown (the RIFF size then says 0xFFFFFFFF too). Pure and thread-safe.
std::string EncodeWavHeader(int sample_rate, int channels, uint32_t data_bytes);

// A complete 16-bit PCM mono WAV file. Pure and thread-safe.
std::string EncodeWav(const std::vector<int16_t>& mono, int sample_rate);

// Raw 16-bit little-endian PCM bytes (the `pcm` response format). Pure and thread-safe.
std::string EncodePcm16(const std::vector<int16_t>& samples);

// Reads raw 16-bit little-endian PCM; an odd byte count is kUnprocessable. Pure.
Result<std::vector<int16_t>> DecodePcm16(std::string_view bytes);

// Human-readable name of a WAV format tag, e.g. "IMA ADPCM (0x0011)". Pure.
std::string WavFormatTagName(uint16_t tag);

}  // namespace harvis::audio
