// Shared helpers of the whisper engine tests: generated models in a temporary folder,
// configurations, load requests and synthetic audio.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engines/stt/whisper/whisper_engine.h"
#include "whisper_model_generator.h"

namespace harvis::whisper_test {

// A per-process scratch folder, removed when the test program ends (ScratchCleanup).
inline std::filesystem::path ScratchDir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("harvis_whisper_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes a generated model once per (name, spec) and returns its path.
inline std::string GeneratedModel(const std::string& name, const test_tools::WhisperModelSpec& spec) {
  const auto path = (ScratchDir() / name).string();
  if (!std::filesystem::exists(path)) {
    std::string error;
    EXPECT_TRUE(test_tools::WriteWhisperModel(path, spec, &error)) << error;
  }
  return path;
}

inline std::string EnglishModel() { return GeneratedModel("en.bin", {}); }

inline std::string MultilingualModel() {
  test_tools::WhisperModelSpec spec;
  spec.seed = 2;
  spec.multilingual = true;
  return GeneratedModel("multi.bin", spec);
}

inline std::vector<std::uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string WriteBytes(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const auto path = (ScratchDir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline ModelConfig WhisperConfig(const std::string& path, int parallel = 1) {
  ModelConfig model;
  model.name = "whisper-test";
  model.kind = ModelKind::kStt;
  model.engine = "whisper";
  model.path = path;
  model.parallel = parallel;
  return model;
}

inline LoadRequest CpuLoad(const std::string& path) {
  LoadRequest request;
  request.path = path;
  return request;
}

// `seconds` of a deterministic voice-like signal at 16 kHz: a vibrato tone with harmonics,
// a syllable-rate envelope and a little pseudo-random noise.
inline std::vector<float> SyntheticSpeech(double seconds) {
  const size_t n = static_cast<size_t>(seconds * 16000.0);
  std::vector<float> pcm(n);
  std::uint32_t noise = 12345;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    const double f0 = 140.0 + 20.0 * std::sin(2 * M_PI * 3.0 * t);
    const double envelope = 0.5 + 0.5 * std::sin(2 * M_PI * 4.0 * t);
    double v = 0;
    for (int h = 1; h <= 4; ++h) v += std::sin(2 * M_PI * f0 * h * t) / h;
    noise = noise * 1664525u + 1013904223u;
    v = 0.2 * envelope * v + 0.01 * (static_cast<double>(noise >> 8) / 16777216.0 - 0.5);
    pcm[i] = static_cast<float>(v);
  }
  return pcm;
}

inline TranscribeOptions Threads(int threads, std::string language = "") {
  TranscribeOptions options;
  options.threads = threads;
  options.language = std::move(language);
  return options;
}

// Every segment lies within the audio and is ordered.
inline void ExpectWellFormed(const Transcript& t, double seconds) {
  EXPECT_NEAR(t.duration_s, seconds, 1e-6);
  for (const auto& seg : t.segments) {
    EXPECT_GE(seg.start_s, 0.0);
    EXPECT_LE(seg.start_s, seg.end_s);
    EXPECT_LE(seg.end_s, seconds + 1e-9);
  }
}

}  // namespace harvis::whisper_test
