// The models that `harvis models pull` knows: the standard whisper.cpp models, with their
// SHA-1 checksums as published alongside whisper.cpp (models/README.md of the 1.9.1
// source), and a few small instruct GGUFs for the in-process LLM (engine llama), with the
// SHA-256 of their Hugging Face files. A pulled GGUF is saved as NAME.gguf, so that the
// models folder registers it under the catalog's name at start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace harvis::app {

struct CatalogModel {
  std::string name;  // "tiny", "base.en", "large-v3-turbo", "qwen2.5-0.5b-instruct", ...
  std::string sha1;
  uint64_t approx_bytes;
  std::string url = "";     // LLMs: the file's address; whisper models come from the model source
  std::string sha256 = "";  // LLMs
  bool llm() const { return !url.empty(); }
  std::string FileName() const { return llm() ? name + ".gguf" : "ggml-" + name + ".bin"; }
};

const std::vector<CatalogModel>& WhisperCatalog();
const std::vector<CatalogModel>& LlmCatalog();
std::optional<CatalogModel> FindCatalogModel(const std::string& name);

}  // namespace harvis::app
