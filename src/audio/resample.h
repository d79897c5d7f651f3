// Sample-rate conversion (libsoxr, high quality) and PCM sample utilities.
// Every function is pure: thread-safe, no shared state; inputs are never modified.
#pragma once

#include <cstdint>
#include <vector>

struct soxr;  // libsoxr's resampler state

namespace harvis::audio {

// Resamples mono float audio from `from_rate` to `to_rate` Hz (soxr HQ); a copy when the
// rates are equal; empty when either rate is not positive. Output length is
// round(n * to_rate / from_rate). Thread-safe.
std::vector<float> ResampleFloat(const std::vector<float>& mono, int from_rate, int to_rate);

// Resamples a mono float stream that arrives in pieces (e.g. 100 ms WebSocket frames)
// without the edge effects that resampling each piece on its own has at every boundary.
// Output lags the input by the filter's latency (a few ms). Not thread-safe: one per stream.
class StreamResampler {
 public:
  StreamResampler(int from_rate, int to_rate);
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;
  // Feeds `mono` and returns the output it completed; a copy when the rates are equal,
  // empty when either is not positive.
  std::vector<float> Push(const std::vector<float>& mono);

 private:
  ::soxr* soxr_ = nullptr;
  int from_rate_, to_rate_;
};

// Resamples mono 16-bit audio (through float, clamped back); same rules as ResampleFloat.
// Thread-safe.
std::vector<int16_t> ResampleInt16(const std::vector<int16_t>& mono, int from_rate, int to_rate);

// Averages the channels of interleaved audio into one; a trailing partial frame is dropped,
// channels < 1 gives an empty result. Thread-safe.
std::vector<float> DownmixToMono(const std::vector<float>& interleaved, int channels);

// Converts 16-bit samples to floats in [-1, 1) (divides by 32768). Thread-safe.
std::vector<float> Int16ToFloat(const std::vector<int16_t>& samples);

// Converts floats to 16-bit samples (x 32768, rounded, clamped; NaN becomes 0). Thread-safe.
std::vector<int16_t> FloatToInt16(const std::vector<float>& samples);

}  // namespace harvis::audio
