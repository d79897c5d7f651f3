#include "app/models_folder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace harvis::app {
namespace {

namespace fs = std::filesystem;

bool HasGgufMagic(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

}  // namespace

std::vector<std::string> AddModelsFolderGgufs(Config& config) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(config.models_dir, ec)) {
    if (entry.path().extension() == ".gguf" && entry.is_regular_file(ec) && HasGgufMagic(entry.path())) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> added;
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    const bool taken = std::any_of(config.models.begin(), config.models.end(), [&](const ModelConfig& m) {
      return m.name == name || (!m.path.empty() && fs::equivalent(m.path, file, ec));
    });
    if (taken) continue;
    ModelConfig m;
    m.name = name;
    m.kind = ModelKind::kLlm;
    m.engine = "llama";
    m.path = file.string();
    config.models.push_back(std::move(m));
    added.push_back(name);
  }
  if (config.models_built_in && !added.empty()) {
    const std::string ollama_llm = config.defaults.llm;
    std::erase_if(config.models, [&](const ModelConfig& m) { return m.engine == "ollama" && m.name == ollama_llm; });
    config.defaults.llm = added.front();
  }
  return added;
}

}  // namespace harvis::app
