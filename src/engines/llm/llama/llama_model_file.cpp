#include "engines/llm/llama/llama_model_file.h"

#if HARVIS_WITH_LLAMA

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "gguf.h"

namespace harvis {
namespace {

struct GgufFree {
  void operator()(gguf_context* ctx) const { gguf_free(ctx); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufFree>;

// An unsigned integer key of any width; `fallback` when absent or not an integer.
std::uint64_t GetUint(const gguf_context* ctx, const std::string& key, std::uint64_t fallback) {
  const int64_t id = gguf_find_key(ctx, key.c_str());
  if (id < 0) return fallback;
  switch (gguf_get_kv_type(ctx, id)) {
    case GGUF_TYPE_UINT8: return gguf_get_val_u8(ctx, id);
    case GGUF_TYPE_UINT16: return gguf_get_val_u16(ctx, id);
    case GGUF_TYPE_UINT32: return gguf_get_val_u32(ctx, id);
    case GGUF_TYPE_UINT64: return gguf_get_val_u64(ctx, id);
    case GGUF_TYPE_INT32: return static_cast<std::uint64_t>(std::max(0, gguf_get_val_i32(ctx, id)));
    case GGUF_TYPE_INT64: return static_cast<std::uint64_t>(std::max<int64_t>(0, gguf_get_val_i64(ctx, id)));
    case GGUF_TYPE_ARRAY: {
      // Per-layer arrays (e.g. head_count_kv of hybrid models): the largest entry.
      if (gguf_get_arr_type(ctx, id) != GGUF_TYPE_UINT32 && gguf_get_arr_type(ctx, id) != GGUF_TYPE_INT32) {
        return fallback;
      }
      const auto* data = static_cast<const std::uint32_t*>(gguf_get_arr_data(ctx, id));
      const size_t n = gguf_get_arr_n(ctx, id);
      return n == 0 ? fallback : *std::max_element(data, data + n);
    }
    default: return fallback;
  }
}

std::string GetString(const gguf_context* ctx, const char* key) {
  const int64_t id = gguf_find_key(ctx, key);
  if (id < 0 || gguf_get_kv_type(ctx, id) != GGUF_TYPE_STRING) return "";
  return gguf_get_val_str(ctx, id);
}

Result<GgufModelInfo> Describe(const gguf_context* ctx, const std::string& source) {
  GgufModelInfo info;
  info.architecture = GetString(ctx, "general.architecture");
  if (info.architecture.empty()) {
    return Status(ErrorCode::kInvalidArgument, source + ": GGUF file has no general.architecture");
  }
  info.name = GetString(ctx, "general.name");
  const std::string a = info.architecture + ".";
  info.n_layer = static_cast<std::uint32_t>(GetUint(ctx, a + "block_count", 0));
  info.n_embd = static_cast<std::uint32_t>(GetUint(ctx, a + "embedding_length", 0));
  info.n_head = static_cast<std::uint32_t>(GetUint(ctx, a + "attention.head_count", 0));
  info.n_head_kv = static_cast<std::uint32_t>(GetUint(ctx, a + "attention.head_count_kv", info.n_head));
  const std::uint32_t head_dim = info.n_head > 0 ? info.n_embd / info.n_head : 0;
  info.key_length = static_cast<std::uint32_t>(GetUint(ctx, a + "attention.key_length", head_dim));
  info.value_length = static_cast<std::uint32_t>(GetUint(ctx, a + "attention.value_length", head_dim));
  info.n_ff = static_cast<std::uint32_t>(GetUint(ctx, a + "feed_forward_length", 4ull * info.n_embd));
  info.n_ctx_train = static_cast<std::uint32_t>(GetUint(ctx, a + "context_length", 0));
  const int64_t tokens = gguf_find_key(ctx, "tokenizer.ggml.tokens");
  if (tokens >= 0 && gguf_get_kv_type(ctx, tokens) == GGUF_TYPE_ARRAY) {
    info.n_vocab = static_cast<std::uint32_t>(gguf_get_arr_n(ctx, tokens));
  }
  info.has_chat_template = gguf_find_key(ctx, "tokenizer.chat_template") >= 0;
  if (info.n_layer == 0 || info.n_embd == 0 || info.n_vocab == 0) {
    return Status(ErrorCode::kInvalidArgument,
                  source + ": GGUF file is not a language model (architecture '" + info.architecture +
                      "' without block_count, embedding_length or a tokenizer vocabulary)");
  }
  for (int64_t i = 0; i < gguf_get_n_tensors(ctx); ++i) info.weight_bytes += gguf_get_tensor_size(ctx, i);
  if (info.weight_bytes == 0) return Status(ErrorCode::kInvalidArgument, source + ": GGUF file holds no tensors");
  return info;
}

}  // namespace

Result<GgufModelInfo> InspectGgufFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status(ErrorCode::kNotFound, "model file not found: " + path);
  }
  if (!LooksLikeGguf(path)) return Status(ErrorCode::kInvalidArgument, path + ": not a GGUF file");
  GgufPtr ctx(gguf_init_from_file(path.c_str(), gguf_init_params{/*no_alloc=*/true, /*ctx=*/nullptr}));
  if (!ctx) return Status(ErrorCode::kInvalidArgument, path + ": corrupt or truncated GGUF file");
  auto info = Describe(ctx.get(), path);
  if (!info.ok()) return info;
  // The metadata may be intact while the tensor data was cut short.
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size < gguf_get_data_offset(ctx.get()) + info->weight_bytes) {
    return Status(ErrorCode::kInvalidArgument, path + ": truncated GGUF file (tensor data is missing)");
  }
  return info;
}

bool LooksLikeGguf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

std::uint64_t PredictKvBytes(const GgufModelInfo& info, std::uint32_t n_ctx) {
  const std::uint64_t per_token = std::uint64_t{info.n_head_kv} * (info.key_length + info.value_length);
  return std::uint64_t{info.n_layer} * n_ctx * per_token * 2;  // f16 K and V
}

std::uint64_t PredictComputeBytes(const GgufModelInfo& info, std::uint32_t n_ctx, std::uint32_t n_ubatch) {
  // The largest intermediate tensors of one micro-batch (f32): the logits, the feed-forward
  // activations, the attention scores, plus the output buffer of one sequence's logits.
  const std::uint64_t ub = std::max<std::uint32_t>(1, n_ubatch);
  const std::uint64_t per_token = std::uint64_t{info.n_vocab} + 2ull * info.n_ff + 4ull * info.n_embd +
                                  std::uint64_t{info.n_head} * n_ctx;
  return 4 * (ub * per_token + info.n_vocab);
}

}  // namespace harvis

#endif  // HARVIS_WITH_LLAMA
