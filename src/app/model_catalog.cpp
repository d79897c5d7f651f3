#include "app/model_catalog.h"

#include "core/units.h"

namespace harvis::app {

const std::vector<CatalogModel>& WhisperCatalog() {
  static const std::vector<CatalogModel> kModels = {
      {"tiny", "bd577a113a864445d4c299885e0cb97d4ba92b5f", 75 * kMiB},
      {"tiny.en", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df", 75 * kMiB},
      {"base", "465707469ff3a37a2b9b8d8f89f2f99de7299dac", 142 * kMiB},
      {"base.en", "137c40403d78fd54d454da0f9bd998f78703390c", 142 * kMiB},
      {"small", "55356645c2b361a969dfd0ef2c5a50d530afd8d5", 466 * kMiB},
      {"small.en", "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022", 466 * kMiB},
      {"medium", "fd9727b6e1217c2f614f9b698455c4ffd82463b4", 1536 * kMiB},
      {"medium.en", "8c30f0e44ce9560643ebd10bbe50cd20eafd3723", 1536 * kMiB},
      {"large-v1", "b1caaf735c4cc1429223d5a74f0f4d0b9b59a299", 2970 * kMiB},
      {"large-v2", "0f4c8e34f21cf1a914c59d8b3ce882345ad349d6", 2970 * kMiB},
      {"large-v3", "ad82bf6a9043ceed055076d0fd39f5f186ff8062", 2970 * kMiB},
      {"large-v3-turbo", "4af2b29d7ec73d781377bfd1758ca957a807e941", 1536 * kMiB},
  };
  return kModels;
}

// Q4_K_M quantisations; sizes and SHA-256 of the files on Hugging Face.
const std::vector<CatalogModel>& LlmCatalog() {
  static const std::vector<CatalogModel> kModels = {
      {"smollm2-135m-instruct", "", 105454432,
       "https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q4_K_M.gguf",
       "2e8040ceae7815abe0dcb3540b9995eaa1fa0d2ca9e797d0a635ae4433c68c2d"},
      {"qwen2.5-0.5b-instruct", "", 491400032,
       "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf",
       "74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db"},
      {"llama-3.2-1b-instruct", "", 807694464,
       "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
       "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83"},
      {"qwen2.5-1.5b-instruct", "", 1117320736,
       "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-instruct-q4_k_m.gguf",
       "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e"},
  };
  return kModels;
}

std::optional<CatalogModel> FindCatalogModel(const std::string& name) {
  for (const auto* catalog : {&WhisperCatalog(), &LlmCatalog()}) {
    for (const auto& m : *catalog) {
      if (m.name == name || m.FileName() == name) return m;
    }
  }
  return std::nullopt;
}

}  // namespace harvis::app
