// Generator of small random-weight Whisper models in whisper.cpp's ggml file format, so
// that tests and benchmarks exercise every whisper.cpp code path without a real model
// (none can be downloaded here, SPEC §7). The transcripts such a model produces are
// garbage made of pseudo-words; only their shape (segments, timestamps) is meaningful.
//
// File layout (read by whisper_model_load in whisper.cpp):
//   u32 magic 0x67676d6c ("ggml")
//   i32 n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
//       n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype (1 = f16)
//   i32 n_mel, n_fft; f32 mel filters [n_mel * n_fft]
//   i32 n_tokens; n_tokens x { u32 length; bytes }   (special tokens are implied)
//   tensors until EOF: i32 n_dims, i32 name_length, i32 type (0 f32, 1 f16),
//                      i32 ne[n_dims], name bytes, data (2-D weights f16, rest f32)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harvis::test_tools {

struct WhisperModelSpec {
  std::uint32_t seed = 1;
  int layers = 1;             // encoder and decoder layers each
  bool multilingual = false;  // 51865-token vocabulary with language tokens; else English-only
  int state = 64;             // n_audio_state == n_text_state
  int heads = 2;              // attention heads (state must be a multiple)
  int audio_ctx = 1500;       // encoder positions (1500 = 30 s windows, as real models)
  int text_ctx = 448;         // decoder positions
  int mels = 80;
};

// The whole model file as bytes. Deterministic for a given spec (fixed-seed mt19937).
std::vector<std::uint8_t> GenerateWhisperModel(const WhisperModelSpec& spec);

// Writes GenerateWhisperModel(spec) to `path`; false with `error` set on failure.
bool WriteWhisperModel(const std::string& path, const WhisperModelSpec& spec, std::string* error);

}  // namespace harvis::test_tools
