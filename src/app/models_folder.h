// The GGUF files in the models folder (Config::models_dir) become models at start-up:
// each *.gguf that starts with the GGUF magic is `engine: llama`, named after its file
// (qwen2.5-0.5b-instruct.gguf -> qwen2.5-0.5b-instruct), unless a configured model already
// has that name or path. With the built-in configuration (no `models` section) the first
// of them (by name) also replaces the Ollama LLM as defaults.llm, so that one binary runs a
// whole voice turn; without any, the built-in LLM stays the Ollama one.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace harvis::app {

// Adds the folder's models to `config`; returns their names (empty when there are none or
// the folder does not exist).
std::vector<std::string> AddModelsFolderGgufs(Config& config);

}  // namespace harvis::app
