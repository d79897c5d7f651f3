// `engine: ollama` — an LLM served by a (remote) Ollama server, driven through its HTTP
// API. Load() asks Ollama to load the model (an empty /api/generate) and reads its
// footprint from /api/ps; Unload() sends keep_alive 0 and confirms on /api/ps; Chat()
// streams tokens from /api/chat. Ollama places the model itself: LoadRequest's device
// and path are not used (`ollama.device` tells the scheduler which ledger it lives in).
//
// Model options (ModelConfig::options, all optional):
//   model:           the name in Ollama (default: `path` when set, else the model name)
//   url:             overrides `ollama.url` for this model
//   connect_timeout: default 5s;  timeout: whole request, default 10m;
//   idle_timeout:    longest silence between tokens, default 2m
//   stream:          "false" asks Ollama for one JSON answer instead of NDJSON
//
// Thread safety (engine.h): Load/Unload are called by one thread at a time; Chat may run
// concurrently with itself (each call has its own connection). FootprintBytes is atomic.
#pragma once

#include <atomic>
#include <memory>

#include "engines/engine.h"
#include "engines/llm/ollama/ollama_client.h"

namespace harvis {

struct OllamaEngineOptions {
  std::string model;              // the model's name in Ollama
  OllamaClientOptions client;     // URL and timeouts
  bool stream = true;
  int confirm_polls = 20;         // /api/ps checks after an unload
  Duration confirm_interval = std::chrono::milliseconds(100);

  // Reads ModelConfig::options over `ollama` (the server-wide settings); kInvalidArgument
  // naming the bad option.
  static Result<OllamaEngineOptions> Parse(const ModelConfig& model, const OllamaConfig& ollama);
};

class OllamaEngine final : public Engine {
 public:
  OllamaEngine(ModelConfig model, OllamaEngineOptions options);

  std::string_view engine_name() const override { return "ollama"; }
  bool UsesLocalCpu() const override { return false; }  // Ollama computes in its own process
  ModelKind kind() const override { return ModelKind::kLlm; }
  bool CanLoadFromMemory() const override { return false; }
  // The declared `memory` when set; the scheduler otherwise asks OllamaTenant::PredictBytes.
  std::uint64_t EstimateFootprint() const override { return model_.memory.value_or(0); }

  // Preloads the model in Ollama with the model's keep_alive (see ollama_engine.cpp) and
  // records its footprint from /api/ps. Errors as in OllamaClient; an out-of-memory
  // answer is kResourceExhausted.
  Status Load(const LoadRequest& request) override;
  // size_vram of the model in /api/ps after the load (size when it is all in host RAM).
  std::uint64_t FootprintBytes() const override { return footprint_.load(); }
  // keep_alive 0, then waits (bounded) until /api/ps no longer lists the model.
  void Unload() override;

  // Streams the answer. kResourceExhausted when Ollama runs out of memory: the caller
  // (the scheduler) frees its own evictable models and retries once.
  Result<ChatResult> Chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                          const TokenCallback& on_token, const CancellationToken* cancel) override;

  const std::string& ollama_model() const { return options_.model; }

 private:
  // keep_alive sent with every request, so that a chat does not reset Ollama's timer.
  Duration OllamaKeepAlive() const;

  const ModelConfig model_;
  const OllamaEngineOptions options_;
  const OllamaClient client_;
  std::atomic<std::uint64_t> footprint_{0};
};

// Registers `engine: ollama` with server-wide settings `ollama` (its URL already
// resolved from OLLAMA_CLOUD_URL by Config).
void RegisterOllamaEngine(EngineRegistry& registry, const OllamaConfig& ollama);

}  // namespace harvis
