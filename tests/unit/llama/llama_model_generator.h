// Writes small random-weight GGUF language models for the llama engine's tests and
// benchmarks: llama.cpp builds the model from metadata (llama_model_init_from_user) with
// random tensors, and saves it (llama_model_save_to_file). The vocabulary and tokenizer
// come from a real GGUF vocabulary file (llama.cpp's SentencePiece test vocab), so
// tokenization and the chat template work as with a downloaded model; the answers are
// random text.
#pragma once

#include <cstdint>
#include <string>

namespace harvis::testing {

struct LlamaModelSpec {
  std::string vocab_path;  // a GGUF file with tokenizer.* metadata
  std::uint32_t n_embd = 64;
  std::uint32_t n_layer = 2;
  std::uint32_t n_head = 4;
  std::uint32_t n_head_kv = 2;
  std::uint32_t n_ff = 128;
  std::uint32_t n_ctx_train = 2048;
  std::uint32_t seed = 1;
  // Written as tokenizer.chat_template; empty: none.
  std::string chat_template =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
      "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
};

// Writes the model to `path`; false with `error` set on failure.
bool WriteRandomLlamaModel(const LlamaModelSpec& spec, const std::string& path, std::string* error);

}  // namespace harvis::testing
