#include "llama_model_generator.h"

#include <memory>
#include <random>
#include <vector>

#include "ggml-backend.h"
#include "gguf.h"
#include "llama.h"

namespace harvis::testing {
namespace {

struct GgufFree {
  void operator()(gguf_context* ctx) const { gguf_free(ctx); }
};

// Fills each tensor with N(0, 0.1) values (large enough for the answer to depend on the prompt), seeded by the spec's seed and the tensor's name,
// and norm weights with ones (as a trained model's are, roughly).
void FillTensor(ggml_tensor* tensor, void* user_data) {
  const auto seed = *static_cast<const std::uint32_t*>(user_data);
  std::mt19937 gen(seed ^ static_cast<std::uint32_t>(std::hash<std::string>{}(tensor->name)));
  std::normal_distribution<float> dist(0.0f, 0.1f);
  const bool norm = std::string(tensor->name).find("norm") != std::string::npos;
  std::vector<float> values(static_cast<size_t>(ggml_nelements(tensor)));
  for (auto& v : values) v = norm ? 1.0f : dist(gen);
  if (tensor->type == GGML_TYPE_F32) {
    ggml_backend_tensor_set(tensor, values.data(), 0, ggml_nbytes(tensor));
  } else {
    std::vector<ggml_fp16_t> half(values.size());
    ggml_fp32_to_fp16_row(values.data(), half.data(), static_cast<int64_t>(values.size()));
    ggml_backend_tensor_set(tensor, half.data(), 0, ggml_nbytes(tensor));
  }
}

}  // namespace

bool WriteRandomLlamaModel(const LlamaModelSpec& spec, const std::string& path, std::string* error) {
  std::unique_ptr<gguf_context, GgufFree> vocab(
      gguf_init_from_file(spec.vocab_path.c_str(), gguf_init_params{/*no_alloc=*/true, nullptr}));
  if (!vocab) {
    *error = "cannot read the vocabulary " + spec.vocab_path;
    return false;
  }
  std::unique_ptr<gguf_context, GgufFree> meta(gguf_init_empty());
  gguf_set_kv(meta.get(), vocab.get());
  gguf_set_val_str(meta.get(), "general.architecture", "llama");
  gguf_set_val_str(meta.get(), "general.name", "harvis-random-llama");
  gguf_set_val_u32(meta.get(), "llama.context_length", spec.n_ctx_train);
  gguf_set_val_u32(meta.get(), "llama.embedding_length", spec.n_embd);
  gguf_set_val_u32(meta.get(), "llama.block_count", spec.n_layer);
  gguf_set_val_u32(meta.get(), "llama.feed_forward_length", spec.n_ff);
  gguf_set_val_u32(meta.get(), "llama.attention.head_count", spec.n_head);
  gguf_set_val_u32(meta.get(), "llama.attention.head_count_kv", spec.n_head_kv);
  gguf_set_val_u32(meta.get(), "llama.rope.dimension_count", spec.n_embd / spec.n_head);
  gguf_set_val_f32(meta.get(), "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  gguf_set_val_f32(meta.get(), "llama.rope.freq_base", 10000.0f);

  llama_model_params params = llama_model_default_params();
  params.n_gpu_layers = 0;
  ggml_backend_dev_t no_devices[] = {nullptr};
  params.devices = no_devices;
  std::uint32_t seed = spec.seed;
  llama_model* model = llama_model_init_from_user(meta.get(), &FillTensor, &seed, params);
  if (model == nullptr) {
    *error = "llama.cpp could not build the model from its metadata";
    return false;
  }
  llama_model_save_to_file(model, path.c_str());
  llama_model_free(model);
  if (spec.chat_template.empty()) return true;
  // llama_model_save_to_file writes the keys llama.cpp uses to run the model, not the chat
  // template: add it and write the file again.
  ggml_context* data = nullptr;
  std::unique_ptr<gguf_context, GgufFree> saved(gguf_init_from_file(path.c_str(), gguf_init_params{false, &data}));
  if (!saved) {
    *error = "cannot read back " + path;
    return false;
  }
  // A context read from a file holds tensor infos without data pointers: copy the keys
  // and the tensors (now with their data, in `data`) into a new one.
  std::unique_ptr<gguf_context, GgufFree> out(gguf_init_empty());
  gguf_set_kv(out.get(), saved.get());
  gguf_set_val_str(out.get(), "tokenizer.chat_template", spec.chat_template.c_str());
  for (int64_t i = 0; i < gguf_get_n_tensors(saved.get()); ++i) {
    gguf_add_tensor(out.get(), ggml_get_tensor(data, gguf_get_tensor_name(saved.get(), i)));
  }
  const bool written = gguf_write_to_file(out.get(), path.c_str(), /*only_meta=*/false);
  ggml_free(data);
  if (!written) *error = "cannot write " + path;
  return written;
}

}  // namespace harvis::testing
