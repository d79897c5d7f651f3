// The standard whisper.cpp models that `harvis models pull` knows, with their SHA-1
// checksums as published alongside whisper.cpp (models/README.md of the 1.9.1 source).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace harvis::app {

struct CatalogModel {
  std::string name;  // "tiny", "base.en", "large-v3-turbo", ...
  std::string sha1;
  uint64_t approx_bytes;
  std::string FileName() const { return "ggml-" + name + ".bin"; }
};

const std::vector<CatalogModel>& WhisperCatalog();
std::optional<CatalogModel> FindCatalogModel(const std::string& name);

}  // namespace harvis::app
