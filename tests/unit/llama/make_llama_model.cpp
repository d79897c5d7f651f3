// make_llama_model OUT.gguf [--embd N] [--layers N] [--ff N] [--ctx N] [--seed N] [--vocab FILE]
// Writes a random-weight GGUF language model (llama_model_generator.h) for the black-box
// tests and benchmarks.
#include <cstdio>
#include <cstring>
#include <string>

#include "llama_model_generator.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT.gguf [--embd N] [--layers N] [--ff N] [--ctx N] [--seed N] [--vocab FILE]\n", argv[0]);
    return 2;
  }
  harvis::testing::LlamaModelSpec spec;
  spec.vocab_path = HARVIS_LLAMA_TEST_VOCAB;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--embd") spec.n_embd = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--layers") spec.n_layer = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--ff") spec.n_ff = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--ctx") spec.n_ctx_train = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--seed") spec.seed = static_cast<std::uint32_t>(std::stoul(value));
    else if (flag == "--vocab") spec.vocab_path = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  std::string error;
  if (!harvis::testing::WriteRandomLlamaModel(spec, argv[1], &error)) {
    std::fprintf(stderr, "make_llama_model: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
