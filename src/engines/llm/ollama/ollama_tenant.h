// Ollama as a memory tenant of the GPU ledger (SPEC §4 "Ollama as a tenant"): the models
// Ollama holds (GET /api/ps, `size_vram`), how to evict them (keep_alive 0, confirmed on
// /api/ps), preload them (an empty /api/generate), predict the size of one that is not
// loaded (/api/show, else /api/tags), and discover installed models (/api/tags) so that
// they appear as LLM models without being configured.
//
// This file knows nothing about the scheduler; the scheduler calls it. Thread safety:
// every method may be called from any thread; the cached /api/ps answer is guarded by
// one mutex that is never held during an HTTP call.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "engines/llm/ollama/ollama_client.h"

namespace harvis {

// One model resident in Ollama, as the ledger sees it.
struct TenantModel {
  std::string name;
  std::uint64_t bytes_vram = 0;   // on the GPU (`size_vram`)
  std::uint64_t bytes_total = 0;  // GPU + host RAM (`size`)
  std::string expires_at;         // RFC 3339, as Ollama reported it
  std::int64_t expires_at_unix = 0;  // seconds since the epoch; 0 when unknown
};

struct OllamaTenantOptions {
  int confirm_polls = 20;  // /api/ps polls after an unload before giving up
  Duration confirm_interval = std::chrono::milliseconds(100);
  std::uint64_t context_tokens = 4096;  // context the KV-cache allowance is sized for
};

// The last /api/ps answer and when it was fetched (valid = false before the first).
struct TenantSnapshot {
  std::vector<TenantModel> models;
  std::chrono::steady_clock::time_point fetched_at{};
  bool valid = false;
};

class OllamaTenant {
 public:
  explicit OllamaTenant(std::shared_ptr<const OllamaClient> client, OllamaTenantOptions options = {});

  // Polls /api/ps and caches the answer. Errors are the client's (kUnavailable, ...).
  Result<std::vector<TenantModel>> Refresh();
  // The last successful Refresh() (no I/O).
  TenantSnapshot Last() const;

  // Unloads `name` (keep_alive 0) and polls /api/ps until it is gone: kTimeout when it is
  // still listed after confirm_polls × confirm_interval. Ok when it was not loaded.
  Status Evict(const std::string& name);
  // Loads `name` into Ollama (empty prompt) to stay for `keep_alive` (kForever: -1).
  Status Preload(const std::string& name, Duration keep_alive);
  // Bytes `name` takes (or would take) on the GPU: size_vram (else size) from /api/ps
  // when loaded, else EstimateOllamaBytes(/api/show), else the /api/tags file size
  // plus allowances. kNotFound when Ollama does not have the model.
  Result<std::uint64_t> PredictBytes(const std::string& name);
  // Names of the models installed in Ollama (/api/tags), for the model registry.
  Result<std::vector<std::string>> DiscoverModels() const;

  const OllamaClient& client() const { return *client_; }

 private:
  Result<std::uint64_t> PredictFromTags(const std::string& name) const;

  const std::shared_ptr<const OllamaClient> client_;
  const OllamaTenantOptions options_;
  mutable std::mutex mu_;  // guards last_
  TenantSnapshot last_;
};

// Polls /api/ps up to `polls` times, `interval` apart, until `name` is not listed.
// kTimeout naming the model when it stays; the client's error when /api/ps fails.
// `last` (optional) receives the last /api/ps answer.
Status WaitUntilUnloaded(const OllamaClient& client, const std::string& name, int polls,
                         Duration interval, std::vector<OllamaRunningModel>* last = nullptr);

// Bits per weight of a GGUF quantization level as Ollama names it ("Q4_K_M" -> 4.85,
// "F16" -> 16). Unknown levels count as 16, so that a guess never under-reserves.
double BitsPerWeight(std::string_view quantization_level);

// Predicted GPU bytes of a model Ollama has not loaded:
//   weights  = general.parameter_count × BitsPerWeight(quantization_level) / 8
//   kv_cache = 2 (K and V) × block_count × context × head_count_kv
//              × (embedding_length / head_count) × 2 bytes (f16 cache),
//              context = min(context_tokens, the model's context_length);
//              weights / 8 when the architecture fields are missing
//   overhead = max(256 MiB, weights / 20)   (compute graph and CUDA buffers)
//   total    = weights + kv_cache + overhead
// Returns 0 when parameter_count is unknown.
std::uint64_t EstimateOllamaBytes(const OllamaModelInfo& info, std::uint64_t context_tokens);
// The same from the file size alone (/api/tags): file + file / 8 + overhead.
std::uint64_t EstimateOllamaBytesFromFile(std::uint64_t file_bytes);

// The configuration of a model discovered in Ollama: kind llm, engine ollama, the
// Ollama name as model name, defaults elsewhere.
ModelConfig DiscoveredOllamaModel(const std::string& name);

}  // namespace harvis
