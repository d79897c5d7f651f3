// `engine: whisper` — speech to text with whisper.cpp (SPEC §2, issue 4).
//
// One WhisperEngine is one configured model. Load() reads the ggml model file once (or
// takes the bytes from the RAM tier), checks it (whisper_model_file.h), creates the
// whisper.cpp context WITHOUT a state, then `parallel` whisper_states that share its
// weights. Transcribe() borrows a free state from that pool (waiting on a condition
// variable while all are busy), runs whisper_full_with_state, and returns it, so up to
// `parallel` transcriptions run at once on one copy of the weights.
//
// Placement: a real GPU (DeviceTarget kind GPU, not simulated) uses whisper.cpp's GPU
// backend on device `gpu_index` (needs a build with HARVIS_CUDA=ON and a visible device;
// otherwise Load fails with kFailedPrecondition); everything else runs on the CPU.
//
// Footprint (FootprintBytes): measured during Load, under a process-wide whisper load lock:
//   * buffers: the sizes whisper.cpp reports for every buffer it allocates — the weight
//     buffers ("<backend> total size") and, per state, the KV caches (self, cross, pad)
//     and the four compute buffers (conv, encode, cross, decode) — at least the exact sum
//     of tensor sizes read from the file for the weights;
//   * rss_delta: the process's resident set size after minus before the context and the
//     states are created. A cross-check only: pages are touched lazily and the allocator
//     reuses pages it already holds, so it is often far below the buffers (24 KiB for a
//     generated model with 113 MB of buffers, in a process that had loaded one before).
//   FootprintBytes() = max(buffers, rss_delta) on the CPU, buffers on a GPU (where the
//   scheduler's NVML delta also sees the CUDA context). The copy of the file bytes kept
//   for ExportWeights() is host RAM outside the footprint: host_copy_bytes().
//
// options (ModelConfig::options, all optional):
//   flash_attn:           true|false (default true) — whisper.cpp flash attention.
//   temperature_fallback: true|false (default true) — re-decode at higher temperature when
//                         a window fails whisper's quality thresholds (as whisper-cli).
//   word_timestamps:      true|false (default false) — token-level timestamps, one
//                         segment per word (whisper.cpp's max_len=1 + split_on_word).
// Decoding is greedy with one decoder: beam search and best_of > 1 make whisper.cpp grow
// a state's KV cache on first use, which would make the measured footprint a lie.
//
// Thread safety: as engine.h — Load/Unload/ExportWeights from one thread, never
// concurrently with Transcribe; Transcribe is safe from any number of threads (callers
// beyond `parallel` wait for a free state). Unload also waits for borrowed states.
#pragma once

#include "engines/engine.h"

namespace harvis {

// Registers `engine: whisper` in `registry`. In a build without whisper.cpp
// (HARVIS_WITH_WHISPER=OFF) the constructor fails with kFailedPrecondition saying so.
void RegisterWhisperEngine(EngineRegistry& registry);

}  // namespace harvis

#if HARVIS_WITH_WHISPER

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "engines/stt/whisper/whisper_model_file.h"

struct whisper_context;
struct whisper_state;

namespace harvis {

struct WhisperOptions {
  bool flash_attn = true;
  bool temperature_fallback = true;
  bool word_timestamps = false;

  // Reads ModelConfig::options; kInvalidArgument naming the model and the bad option.
  static Result<WhisperOptions> Parse(const ModelConfig& model);
};

// What Load() measured (see the header comment).
struct WhisperFootprint {
  std::uint64_t weight_buffer_bytes = 0;  // whisper.cpp's weight buffers
  std::uint64_t state_buffer_bytes = 0;   // all states' KV caches + compute buffers
  std::int64_t rss_delta_bytes = 0;       // RSS after - before (may be negative: noise)
  int states = 0;
  std::uint64_t total() const { return weight_buffer_bytes + state_buffer_bytes; }
};

class WhisperEngine final : public Engine {
 public:
  WhisperEngine(ModelConfig model, WhisperOptions options);
  ~WhisperEngine() override;

  std::string_view engine_name() const override { return "whisper"; }
  ModelKind kind() const override { return ModelKind::kStt; }
  bool CanLoadFromMemory() const override { return true; }
  // File size + `parallel` x the state estimate from the header; 0 if unreadable.
  std::uint64_t EstimateFootprint() const override;

  Status Load(const LoadRequest& request) override;
  std::uint64_t FootprintBytes() const override;
  // The model file's bytes, shared (no copy) with the RAM tier; nullopt when unloaded.
  std::optional<WeightBlob> ExportWeights() override;
  // The model file's bytes, checked to be a whisper.cpp model.
  Result<WeightBlob> ReadWeights() const override;
  void Unload() override;

  Result<Transcript> Transcribe(const std::vector<float>& pcm_16k_mono,
                                const TranscribeOptions& options) override;

  // Introspection (call while loaded; same thread rules as Load).
  WhisperFootprint footprint() const { return footprint_; }
  std::uint64_t host_copy_bytes() const { return bytes_ ? bytes_->size() : 0; }
  bool multilingual() const { return info_.hparams.multilingual(); }
  bool on_gpu() const { return on_gpu_; }

 private:
  Status CreateContext(const ModelBytes& bytes, const DeviceTarget& device,
                       const std::string& source);
  Status CreateStates(int count);
  void FreeAll();
  Result<std::string> ResolveLanguage(const std::string& requested) const;
  whisper_state* AcquireState();
  void ReleaseState(whisper_state* state);

  const ModelConfig model_;
  const WhisperOptions options_;

  // Written by Load/Unload only (never concurrently with Transcribe, engine.h).
  whisper_context* ctx_ = nullptr;
  ModelBytes bytes_;
  WhisperModelInfo info_;
  WhisperFootprint footprint_;
  bool on_gpu_ = false;
  std::vector<whisper_state*> states_;  // every state, owned

  // The pool of free states. Lock order: mu_ is a leaf (nothing else is locked under it).
  mutable std::mutex mu_;
  std::condition_variable state_returned_;
  std::vector<whisper_state*> free_states_;  // guarded by mu_
  bool loaded_ = false;                      // guarded by mu_: states may be borrowed
};

}  // namespace harvis

#endif  // HARVIS_WITH_WHISPER
