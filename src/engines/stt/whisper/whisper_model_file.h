// Reading and checking whisper.cpp ggml model files before whisper.cpp sees them.
//
// whisper.cpp's loader trusts its input: a truncated or corrupt file can make it read
// uninitialised lengths, allocate absurd sizes, or (cut right after the vocabulary) "load"
// a model with no weights at all. InspectWhisperModel walks the whole file with bounds
// checks first, so that every such file becomes a Status naming the file and the problem.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace harvis {

// The hyper-parameters of a Whisper model, as stored in its header.
struct WhisperHParams {
  std::int32_t n_vocab = 0;
  std::int32_t n_audio_ctx = 0;
  std::int32_t n_audio_state = 0;
  std::int32_t n_audio_head = 0;
  std::int32_t n_audio_layer = 0;
  std::int32_t n_text_ctx = 0;
  std::int32_t n_text_state = 0;
  std::int32_t n_text_head = 0;
  std::int32_t n_text_layer = 0;
  std::int32_t n_mels = 0;
  std::int32_t ftype = 0;

  bool multilingual() const { return n_vocab >= 51865; }
};

struct WhisperModelInfo {
  WhisperHParams hparams;
  int tensors = 0;                  // tensors in the file
  std::uint64_t weight_bytes = 0;   // sum of the tensors' data sizes (exact)
};

using ModelBytes = std::shared_ptr<const std::vector<std::uint8_t>>;

// Reads a whole file. kFailedPrecondition (naming `path`) when it cannot be read.
Result<ModelBytes> ReadModelFile(const std::string& path);

// Checks the header, mel filters, vocabulary and every tensor record of a ggml Whisper
// model held in `bytes`. Errors are kInvalidArgument and start with `source` (the path,
// or "weights from RAM"). Thread-safe (pure function).
Result<WhisperModelInfo> InspectWhisperModel(const std::vector<std::uint8_t>& bytes,
                                             const std::string& source);

// Reads only the header of the file at `path` (for estimates); nullopt-like error when
// the file is missing or not a Whisper model.
Result<WhisperHParams> ReadWhisperHParams(const std::string& path);

// Bytes one whisper_state needs (KV caches and compute buffers), estimated from the
// hyper-parameters before any load. Used for predictions only; Load() measures.
std::uint64_t EstimateWhisperStateBytes(const WhisperHParams& hparams);

}  // namespace harvis
