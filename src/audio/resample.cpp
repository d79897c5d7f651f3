#include "audio/resample.h"

#include <soxr.h>

#include <cmath>

namespace harvis::audio {

std::vector<float> ResampleFloat(const std::vector<float>& mono, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) return {};
  if (from_rate == to_rate || mono.empty()) return mono;
  const double ratio = static_cast<double>(to_rate) / from_rate;
  const size_t expected = static_cast<size_t>(std::llround(mono.size() * ratio));
  std::vector<float> out(expected + 1);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  size_t done = 0;
  soxr_error_t error = soxr_oneshot(from_rate, to_rate, 1, mono.data(), mono.size(), nullptr,
                                    out.data(), out.size(), &done, &io, &quality, &runtime);
  if (error != nullptr) return {};
  out.resize(done < expected ? done : expected);
  out.resize(expected, 0.0f);  // soxr may deliver one sample short of the rounded length
  return out;
}

StreamResampler::StreamResampler(int from_rate, int to_rate) : from_rate_(from_rate), to_rate_(to_rate) {
  if (from_rate <= 0 || to_rate <= 0 || from_rate == to_rate) return;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t error = nullptr;
  soxr_ = soxr_create(from_rate, to_rate, 1, &error, &io, &quality, &runtime);
  if (error != nullptr) soxr_ = nullptr;
}

StreamResampler::~StreamResampler() {
  if (soxr_ != nullptr) soxr_delete(soxr_);
}

std::vector<float> StreamResampler::Push(const std::vector<float>& mono) {
  if (from_rate_ <= 0 || to_rate_ <= 0) return {};
  if (from_rate_ == to_rate_) return mono;
  if (soxr_ == nullptr || mono.empty()) return {};
  std::vector<float> out;
  size_t consumed = 0;
  while (consumed < mono.size()) {
    const size_t room = (mono.size() - consumed) * to_rate_ / from_rate_ + 256;
    const size_t start = out.size();
    out.resize(start + room);
    size_t idone = 0, odone = 0;
    if (soxr_process(soxr_, mono.data() + consumed, mono.size() - consumed, &idone, out.data() + start, room,
                     &odone) != nullptr) {
      out.resize(start);
      break;
    }
    out.resize(start + odone);
    consumed += idone;
    if (idone == 0 && odone == 0) break;  // cannot happen with room to spare; never spin
  }
  return out;
}

std::vector<int16_t> ResampleInt16(const std::vector<int16_t>& mono, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0) return {};
  if (from_rate == to_rate) return mono;
  return FloatToInt16(ResampleFloat(Int16ToFloat(mono), from_rate, to_rate));
}

std::vector<float> DownmixToMono(const std::vector<float>& interleaved, int channels) {
  if (channels < 1) return {};
  if (channels == 1) return interleaved;
  const size_t n = static_cast<size_t>(channels);
  std::vector<float> out(interleaved.size() / n);
  for (size_t f = 0; f < out.size(); ++f) {
    double sum = 0.0;
    for (size_t c = 0; c < n; ++c) sum += interleaved[f * n + c];
    out[f] = static_cast<float>(sum / static_cast<double>(n));
  }
  return out;
}

std::vector<float> Int16ToFloat(const std::vector<int16_t>& samples) {
  std::vector<float> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) out[i] = samples[i] / 32768.0f;
  return out;
}

std::vector<int16_t> FloatToInt16(const std::vector<float>& samples) {
  std::vector<int16_t> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const float v = samples[i];
    if (std::isnan(v)) continue;
    const float scaled = std::nearbyint(v * 32768.0f);
    out[i] = static_cast<int16_t>(scaled > 32767.0f ? 32767.0f : (scaled < -32768.0f ? -32768.0f : scaled));
  }
  return out;
}

}  // namespace harvis::audio
