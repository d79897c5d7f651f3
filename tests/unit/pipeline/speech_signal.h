// Test signals for the VAD and the realtime session, generated rather than recorded.
#pragma once

#include <cmath>
#include <initializer_list>
#include <random>
#include <vector>

namespace harvis::testing {

constexpr int kSignalRate = 16000;

inline std::vector<float> Silence(int ms) { return std::vector<float>(kSignalRate * ms / 1000, 0.0f); }

inline std::vector<float> Noise(int ms, float amplitude, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, amplitude);
  std::vector<float> out(kSignalRate * ms / 1000);
  for (auto& x : out) x = dist(rng);
  return out;
}

// Voiced speech stand-in: a 140 Hz pitch with formant-like harmonics and syllable-rate
// (4 Hz) amplitude modulation.
inline std::vector<float> SpeechLike(int ms, float amplitude = 0.3f) {
  constexpr double kPi = 3.14159265358979;
  std::vector<float> out(kSignalRate * ms / 1000);
  for (size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / kSignalRate;
    double v = 0;
    for (int h = 1; h <= 12; ++h) v += std::sin(2 * kPi * 140 * h * t) / h * (h == 4 || h == 8 ? 2.0 : 1.0);
    const double envelope = 0.55 + 0.45 * std::sin(2 * kPi * 4 * t);
    out[i] = static_cast<float>(amplitude * 0.35 * envelope * v);
  }
  return out;
}

inline std::vector<float> Concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace harvis::testing
