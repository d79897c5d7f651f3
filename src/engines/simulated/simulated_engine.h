// `engine: simulated` — a TEST DOUBLE of a model runtime, for scheduler tests and trace
// replay only. It sleeps for its configured load and inference times, may fail loads on
// purpose, accounts its declared `memory` as its footprint, and answers with placeholder
// outputs (a transcript naming the sample count, a short sine tone, an echoing chat
// streamed word by word). It holds no real weights.
//
// options (ModelConfig::options, all optional):
//   load_time:   duration of a load from disk ("200ms"; default 0).
//   ram_load_time: duration of a load from weights already in host RAM (the RAM tier,
//                LoadRequest::weights set; only when from_memory is true). Default:
//                load_time / 5. Reasoning: a load from disk is dominated by reading the
//                file (an 8 GiB LLM: ~4 s at ~2 GiB/s NVMe), a load from RAM by the
//                host-to-GPU copy (~0.7 s at ~12 GiB/s over PCIe 4.0 x16) plus the
//                engine's fixed setup (context, KV cache allocation), which is why the
//                default is a fifth rather than the ~1/6 of the bandwidth ratio alone.
//   infer_time:  duration of one inference call (default 0); a chat spreads it over
//                its tokens.
//   fail_load:   "true"/"false", or a probability in [0, 1] that a load fails.
//   seed:        seed of the failure RNG (default: a hash of the model name), so runs
//                are reproducible.
//   layers:      N > 0 makes the model splittable into N layers between a GPU and host
//                RAM, as an LLM on llama.cpp is (SplittableLayers(), LoadRequest::gpu_layers).
//   from_memory: "false" makes CanLoadFromMemory() false and ExportWeights() nullopt
//                (default true), so the scheduler keeps nothing of it in the RAM tier.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>

#include "engines/engine.h"

namespace harvis {

struct SimulatedOptions {
  Duration load_time{0};
  std::optional<Duration> ram_load_time;  // unset: load_time / 5
  Duration infer_time{0};
  double fail_probability = 0;
  std::uint64_t seed = 0;
  bool from_memory = true;
  std::uint64_t memory = 0;  // footprint: the model's declared memory (default 256MiB)
  int layers = 0;            // > 0: splittable into this many layers (options.layers)

  // Reads ModelConfig::options and memory; kInvalidArgument naming the bad option.
  static Result<SimulatedOptions> Parse(const ModelConfig& model);
  // The duration of a load from RAM: ram_load_time, or load_time / 5.
  Duration RamLoadTime() const { return ram_load_time.value_or(load_time / 5); }
};

class SimulatedEngine final : public Engine {
 public:
  SimulatedEngine(ModelConfig model, SimulatedOptions options);

  std::string_view engine_name() const override { return "simulated"; }
  ModelKind kind() const override { return model_.kind; }
  bool CanLoadFromMemory() const override { return options_.from_memory; }
  std::uint64_t EstimateFootprint() const override { return options_.memory; }

  Status Load(const LoadRequest& request) override;
  int SplittableLayers() const override { return options_.layers; }
  // A split load (LoadRequest::gpu_layers < layers on a GPU) accounts memory x
  // gpu_layers / layers on the device and the rest as HostBytes().
  std::uint64_t FootprintBytes() const override;
  std::uint64_t HostBytes() const override;
  std::optional<WeightBlob> ExportWeights() override;
  // Takes load_time - ram_load_time (the disk read) and accounts the declared memory.
  Result<WeightBlob> ReadWeights() const override;
  void Unload() override;

  Result<Transcript> Transcribe(const std::vector<float>& pcm_16k_mono,
                                const TranscribeOptions& options) override;
  Result<SpeechAudio> Synthesize(std::string_view text, const SynthesizeOptions& options) override;
  Result<ChatResult> Chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                          const TokenCallback& on_token, const CancellationToken* cancel) override;

  // Test hooks: how many loads succeeded, and how many of them came from RAM.
  int successful_loads() const { return loads_.load(); }
  int loads_from_memory() const { return loads_from_memory_.load(); }
  // Overrides the failure probability (e.g. for fault injection in tests).
  void set_fail_probability(double p);

 private:
  Status CheckLoaded() const;
  bool DrawFailure();

  const ModelConfig model_;
  SimulatedOptions options_;
  std::mutex rng_mu_;  // guards rng_ and options_.fail_probability
  std::mt19937_64 rng_;
  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> device_share_{0};  // of memory, on the device it was loaded on
  std::atomic<int> loads_{0};
  std::atomic<int> loads_from_memory_{0};
};

}  // namespace harvis
