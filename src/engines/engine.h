// The Engine interface (SPEC §2, issue 3): what the scheduler needs from a model
// runtime, and what the pipeline and HTTP layers call through leases.
//
// An Engine object is one model instance (one ModelConfig). The scheduler drives its
// life: Load() onto a device, FootprintBytes() to measure it, the typed inference calls
// while it is leased, ExportWeights() + Unload() when it is evicted. Engines know nothing
// about budgets, queues or other models; the scheduler knows nothing about formats.
//
// Thread safety: Load, Unload and ExportWeights are called by one thread at a time and
// never concurrently with inference calls (the scheduler guarantees this with leases).
// Transcribe / Synthesize / Chat may be called concurrently (up to the model's
// `parallel`) on a loaded engine and must be safe for that.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "engines/memory_file.h"

namespace harvis {

// An engine's own loaded form of weights held in RAM, which only that engine reads back.
struct LoadedWeights {
  virtual ~LoadedWeights() = default;
};

// Model weights held in host RAM (the scheduler's RAM tier). `accounted_bytes` is what
// the RAM budget is charged. Real engines hold `data` (whisper) or `file` (llama, which
// maps it) of about that size; the simulated engine accounts its declared size without
// allocating it (both may be null). `loaded`, when set, lets the exporting engine skip
// parsing the bytes again (llama: the model it ran on the CPU, mapped from `file`).
struct WeightBlob {
  std::shared_ptr<const std::vector<std::uint8_t>> data;
  std::uint64_t accounted_bytes = 0;
  std::shared_ptr<const MemoryFile> file;
  std::shared_ptr<const LoadedWeights> loaded;
};

// Where a model is placed. Engines placed on a simulated device run on the CPU.
struct DeviceTarget {
  std::string id = "cpu";           // "cpu" (host RAM) or a GPU id such as "gpu0"
  DeviceKind kind = DeviceKind::kCpu;
  int gpu_index = -1;               // CUDA ordinal for a real GPU; -1 otherwise
  bool simulated = false;
};

// What Load() reads: the model file, or weights already in RAM when `weights` is set
// (only offered when CanLoadFromMemory() is true).
struct LoadRequest {
  DeviceTarget device;
  std::string path;
  const WeightBlob* weights = nullptr;
  int threads = 1;  // CPU threads the load may use
  // Layers an engine that can split a model puts on the GPU (llama): -1 all of them; the
  // rest stay in host RAM. Ignored on the CPU and by engines that cannot split.
  int gpu_layers = -1;
};

// Cooperative cancellation shared between a caller and an engine call.
class CancellationToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

// ---- speech to text ----
struct TranscribeOptions {
  std::string language;  // empty: auto-detect / engine default
  std::string prompt;    // optional initial prompt
  int threads = 1;       // CPU threads this call may use (set by the scheduler)
};
struct TranscriptSegment {
  double start_s = 0;
  double end_s = 0;
  std::string text;
};
struct Transcript {
  std::string text;
  std::string language;
  double duration_s = 0;
  std::vector<TranscriptSegment> segments;
};
// One utterance transcribed while it is spoken (Engine::OpenTranscription): the decoder
// works as the audio arrives, so the transcript is ready soon after the last sample.
// Owns engine resources (e.g. a decoder of the pool): destroy it before the model is
// unloaded. Not thread-safe: one call at a time.
class TranscriptionStream {
 public:
  virtual ~TranscriptionStream() = default;
  // Decodes the next samples of the utterance (16 kHz mono).
  virtual Status Feed(const std::vector<float>& pcm_16k_mono, int threads) = 0;
  // The words recognized so far: a quick first-pass guess that later audio may revise.
  virtual std::string Partial() = 0;
  // Ends the utterance and returns its transcript; the stream takes no audio after it.
  virtual Result<Transcript> Finish() = 0;
};

// ---- text to speech ----
struct SynthesizeOptions {
  std::string voice;     // engine voice name; empty: engine default
  double speed = 1.0;    // 0.25 .. 4.0
  int sample_rate = 0;   // 0: the engine's native rate
  int threads = 1;
};
struct SpeechAudio {
  std::vector<std::int16_t> pcm;  // mono
  int sample_rate = 0;
};

// ---- chat ----
struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};
struct ChatOptions {
  double temperature = 0.8;
  int max_tokens = 0;  // 0: engine default
  std::vector<std::string> stop;  // generation ends before any of these
  int threads = 1;
  std::map<std::string, std::string> extra;  // engine-specific pass-through
};
// Called with each generated piece of text; return false to stop generation.
using TokenCallback = std::function<bool(std::string_view token)>;
struct ChatResult {
  std::string text;
  int tokens = 0;
  std::string finish_reason;  // "stop", "length" or "cancelled"
  // The prompt's tokens, and how many of them a prompt cache held (not evaluated again);
  // 0 and 0 from engines that do not count them.
  int prompt_tokens = 0;
  int cached_prompt_tokens = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The engine name as written in configuration ("simulated", "whisper", ...).
  virtual std::string_view engine_name() const = 0;
  virtual ModelKind kind() const = 0;

  // Whether Load() accepts weights from RAM (LoadRequest::weights).
  virtual bool CanLoadFromMemory() const { return false; }

  // Whether the engine can run on a GPU. CPU-only engines (espeak, flite, pocketsphinx)
  // say false: the scheduler then places them in host RAM only (`device: auto`), and
  // `device: gpu` or a GPU id is a start-up error.
  virtual bool UsesGpu() const { return true; }

  // Whether inference runs on this process's CPU cores. A remote engine (Ollama) says
  // false: its calls then take no share of the CPU budget, which only local work needs.
  virtual bool UsesLocalCpu() const { return true; }

  // Layers the engine can split between a GPU and host RAM (LoadRequest::gpu_layers);
  // 0: it places the whole model on one device.
  virtual int SplittableLayers() const { return 0; }

  // Predicted footprint before any load (e.g. from the file size); 0 when unknown.
  virtual std::uint64_t EstimateFootprint() const { return 0; }

  // Loads the model onto the device. Not thread-safe with respect to other calls.
  virtual Status Load(const LoadRequest& request) = 0;
  // Bytes the loaded model occupies on its device (its own buffers); 0 when unloaded. For
  // a model split between a GPU and host RAM: the GPU's share.
  virtual std::uint64_t FootprintBytes() const = 0;
  // A split model's share in host RAM (the layers not on the GPU); 0 otherwise.
  virtual std::uint64_t HostBytes() const { return 0; }
  // The weights as bytes for the RAM tier, before Unload(); nullopt if not supported.
  virtual std::optional<WeightBlob> ExportWeights() { return std::nullopt; }
  // Reads the weights from the model file into host RAM without loading them (the
  // scheduler's prefetch into the RAM tier); only engines that CanLoadFromMemory().
  // Thread-safe: may run concurrently with any call, as it touches no engine state.
  virtual Result<WeightBlob> ReadWeights() const;
  // Frees everything Load() allocated. Idempotent.
  virtual void Unload() = 0;

  // Typed inference calls. The default answers "not supported by this engine".
  virtual Result<Transcript> Transcribe(const std::vector<float>& pcm_16k_mono,
                                        const TranscribeOptions& options);
  // A stream for one utterance, for engines that decode incrementally; the others answer
  // kInvalidArgument ("does not support streaming transcription") and transcribe the
  // whole audio with Transcribe.
  virtual Result<std::unique_ptr<TranscriptionStream>> OpenTranscription(const TranscribeOptions& options);
  virtual Result<SpeechAudio> Synthesize(std::string_view text, const SynthesizeOptions& options);
  virtual Result<ChatResult> Chat(const std::vector<ChatMessage>& messages,
                                  const ChatOptions& options, const TokenCallback& on_token,
                                  const CancellationToken* cancel);
};

// Maps engine names to constructors. Thread-safe after registration is complete
// (register everything at start-up, then only call Create/Has/Names).
class EngineRegistry {
 public:
  using Constructor = std::function<Result<std::unique_ptr<Engine>>(const ModelConfig&)>;

  // Registers (or replaces) the constructor for `engine_name`.
  void Register(const std::string& engine_name, Constructor constructor);
  bool Has(const std::string& engine_name) const;
  std::vector<std::string> Names() const;
  // Builds the engine named by `model.engine`; kNotFound when the name is unknown.
  Result<std::unique_ptr<Engine>> Create(const ModelConfig& model) const;

 private:
  std::map<std::string, Constructor> constructors_;
};

// A registry with every engine built into this binary. `ollama` configures
// `engine: ollama` (its URL already resolved from OLLAMA_CLOUD_URL by Config).
EngineRegistry DefaultEngineRegistry(const OllamaConfig& ollama = OllamaConfig{});

}  // namespace harvis
