// `engine: llama` — an in-process LLM on llama.cpp (GGUF files; SPEC §2, issue 11).
//
// One LlamaEngine is one configured model. Load() copies the GGUF file into a memory file
// (engines/memory_file.h; or takes that memory file from the RAM tier) and has llama.cpp
// map it, so a reload from the RAM tier neither touches the disk nor copies the weights
// on the CPU (a GPU uploads them from the mapping). It then creates `parallel` llama contexts ("slots")
// that share the weights, each with its own KV cache of `context` tokens; Chat() borrows
// a free slot (waiting while all are busy), so up to `parallel` sequences generate at
// once over one copy of the weights. A slot keeps its KV cache after a call, and the next
// call evaluates only the part of its prompt past the common prefix (llama-server's
// prompt cache); a call takes the free slot whose cache holds most of its prompt.
//
// Placement: on a real GPU (DeviceTarget kind GPU, not simulated) LoadRequest::gpu_layers
// layers go to ggml's GPU device `gpu_index` (-1: all of them, and the KV cache with them);
// the rest stay in host RAM (the scheduler's partial offload). Needs a build with
// HARVIS_CUDA=ON; otherwise Load fails with kFailedPrecondition. Everything else runs on
// the CPU; on a simulated GPU the measured buffers are split in proportion to the layers.
//
// Footprint: predicted from the GGUF metadata before a load (llama_model_file.h), measured
// during it from the buffers llama.cpp allocates (weights, KV caches, compute and output
// buffers), split into device and host bytes. FootprintBytes() is the device's share on a
// GPU, and max(buffers, RSS delta) on the CPU, where the mapped weights are the memory
// file's pages. On a GPU the memory file kept for ExportWeights() is host RAM outside the
// footprint (host_copy_bytes()).
//
// Chat: the model's own chat template (tokenizer.chat_template, or options.chat_template),
// applied by llama.cpp; sampling as the OpenAI and Ollama APIs: temperature (0: greedy),
// top_p and seed (ChatOptions::extra), max_tokens, stop. Tokens stream through the
// callback; returning false, or the cancellation token, stops generation — also in the
// middle of a long prompt (llama.cpp's abort callback).
//
// options (ModelConfig::options, all optional):
//   context:       tokens of KV cache per slot (default 4096, at most the trained context)
//   batch:         prompt tokens per decode call (default 512)
//   flash_attn:    auto|true|false (default auto)
//   threads:       CPU threads a call may use (the scheduler grants up to this; default 4)
//   chat_template: a template name known to llama.cpp (e.g. chatml, llama3) or a template
//                  text, instead of the file's
//
// Thread safety: as engine.h. Chat is safe from any number of threads.
#pragma once

#include "engines/engine.h"

namespace harvis {

// Registers `engine: llama`. In a build without llama.cpp (HARVIS_WITH_LLAMA=OFF) the
// constructor fails with kFailedPrecondition saying so.
void RegisterLlamaEngine(EngineRegistry& registry);

}  // namespace harvis

#if HARVIS_WITH_LLAMA

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "engines/llm/llama/llama_model_file.h"

struct llama_model;
struct llama_context;

namespace harvis {

struct LlamaOptions {
  std::uint32_t context = 4096;
  std::uint32_t batch = 512;
  int flash_attn = -1;  // -1 auto, 0 off, 1 on
  std::string chat_template;

  static Result<LlamaOptions> Parse(const ModelConfig& model);
};

// What Load() measured.
struct LlamaFootprint {
  std::uint64_t device_bytes = 0;  // buffers on the GPU (a simulated GPU: its layers' share)
  std::uint64_t host_bytes = 0;    // buffers in host RAM (all of them on the CPU)
  bool on_gpu = false;             // placed on a GPU, real or simulated
  std::uint64_t weight_bytes = 0;  // of those, the weights (llama_model_size)
  std::int64_t rss_delta_bytes = 0;
  int slots = 0;
  int gpu_layers = 0;
  std::uint64_t total() const { return device_bytes + host_bytes; }
};

class LlamaEngine final : public Engine {
 public:
  LlamaEngine(ModelConfig model, LlamaOptions options);
  ~LlamaEngine() override;

  std::string_view engine_name() const override { return "llama"; }
  ModelKind kind() const override { return ModelKind::kLlm; }
  bool CanLoadFromMemory() const override { return true; }
  // The model's layers + its output layer (llama.cpp's n_gpu_layers for "all").
  int SplittableLayers() const override { return splittable_layers_; }
  // Weights + `parallel` x (KV cache + compute buffers), from the GGUF metadata.
  std::uint64_t EstimateFootprint() const override;

  Status Load(const LoadRequest& request) override;
  std::uint64_t FootprintBytes() const override;
  std::uint64_t HostBytes() const override;
  std::optional<WeightBlob> ExportWeights() override;
  Result<WeightBlob> ReadWeights() const override;
  void Unload() override;

  Result<ChatResult> Chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                          const TokenCallback& on_token, const CancellationToken* cancel) override;

  // Introspection (while loaded; same thread rules as Load).
  LlamaFootprint footprint() const { return footprint_; }
  std::uint64_t host_copy_bytes() const { return file_ ? file_->size() : 0; }
  const GgufModelInfo& info() const { return info_; }
  std::uint32_t context_tokens() const { return n_ctx_; }

 private:
  struct Slot;
  struct LoadedModel;
  Status CreateModel(const DeviceTarget& device, int gpu_layers, const std::string& source);
  void UseModel(std::shared_ptr<const LoadedModel> model);
  Status CreateSlots(int count);
  void AttachThreadPool(Slot& slot) const;
  void FreeAll();
  Result<std::string> ApplyTemplate(const std::vector<ChatMessage>& messages) const;
  Result<std::vector<std::int32_t>> Tokenize(const std::string& prompt) const;
  Slot* AcquireSlot();
  Slot* SwapForBestSlot(Slot* held, const std::vector<std::int32_t>& prompt);
  void ReleaseSlot(Slot* slot);

  const ModelConfig model_;
  const LlamaOptions options_;
  int splittable_layers_ = 0;  // from the file's metadata at construction; 0 if unreadable

  // Written by Load/Unload only (never concurrently with Chat, engine.h).
  llama_model* llama_model_ = nullptr;              // model_owner_'s
  std::shared_ptr<const LoadedModel> model_owner_;  // shared with the RAM tier (ExportWeights)
  std::shared_ptr<const MemoryFile> file_;  // the GGUF's bytes, which llama.cpp maps
  GgufModelInfo info_;
  LlamaFootprint footprint_;
  std::uint32_t n_ctx_ = 0;
  std::string template_;  // the chat template in use
  std::vector<std::unique_ptr<Slot>> slots_;

  // The pool of free slots. mu_ is a leaf lock.
  mutable std::mutex mu_;
  std::condition_variable slot_returned_;
  std::vector<Slot*> free_slots_;  // guarded by mu_
  std::uint64_t releases_ = 0;     // guarded by mu_
  bool loaded_ = false;            // guarded by mu_
};

}  // namespace harvis

#endif  // HARVIS_WITH_LLAMA
