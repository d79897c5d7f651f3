// GGUF model files for `engine: llama`: what Harvis reads from a file's metadata before a
// load — whether it is a GGUF language model, its shape, its chat template — and the
// footprint predicted from it (weights + KV cache for the configured context + compute
// buffers), which the scheduler uses before the first load measures the real one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace harvis {

struct GgufModelInfo {
  std::string architecture;      // general.architecture, e.g. "llama", "qwen2"
  std::string name;              // general.name (may be empty)
  std::uint64_t weight_bytes = 0;  // exact sum of the tensors' sizes
  std::uint32_t n_layer = 0;
  std::uint32_t n_embd = 0;
  std::uint32_t n_head = 0;
  std::uint32_t n_head_kv = 0;
  std::uint32_t key_length = 0;    // per head; n_embd / n_head unless the file says
  std::uint32_t value_length = 0;
  std::uint32_t n_ff = 0;
  std::uint32_t n_ctx_train = 0;
  std::uint32_t n_vocab = 0;
  bool has_chat_template = false;
};

// Reads the metadata of a GGUF file (not its tensor data). kNotFound if the file is
// missing, kInvalidArgument naming the problem if it is not a GGUF language model.
Result<GgufModelInfo> InspectGgufFile(const std::string& path);

// True when the file starts with the GGUF magic (cheap: reads 4 bytes).
bool LooksLikeGguf(const std::string& path);

// Predictions for one sequence slot with a context of `n_ctx` tokens and micro-batch
// `n_ubatch`: the f16 KV cache, and llama.cpp's compute + output buffers.
std::uint64_t PredictKvBytes(const GgufModelInfo& info, std::uint32_t n_ctx);
std::uint64_t PredictComputeBytes(const GgufModelInfo& info, std::uint32_t n_ctx, std::uint32_t n_ubatch);

}  // namespace harvis
