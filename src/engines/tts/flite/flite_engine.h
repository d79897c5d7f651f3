// `engine: flite` — text to speech with CMU flite, in process, on the CPU.
//
// Configuration (ModelConfig):
//   options.voice:  default voice (default "slt"): slt, kal, kal16, rms or awb (the voices
//                   linked into this binary; "cmu_us_slt" spellings accepted).
//   path:           unused (flite's voices are compiled into its libraries).
//
// Output: 16-bit mono PCM at the voice's native rate (16000 Hz; kal: 8000 Hz),
// resampled (libsoxr) when SynthesizeOptions::sample_rate asks for another rate. Speed:
// flite's `duration_stretch` feature = 1 / speed. Text is split into sentences
// (tts::SplitSentences) and synthesized one at a time, so the working memory of a call
// is bounded by one sentence; SynthesizeSentences streams each sentence to a callback.
//
// Thread safety: every flite call goes through FliteRuntime's one process-wide mutex
// (shared voice objects, global error jump), so concurrent calls are safe and take
// turns per sentence.
//
// Footprint (FootprintBytes): the growth of the process's resident set measured around
// the first registration of all five voices plus one warm-up word per voice (which pages
// in their unit/parameter data and the lexicon), under the flite mutex (5 MiB measured
// in a release build here, 11 MiB under ASan/TSan).
// It is measured once per process: the voice data lives in the flite libraries' mapped
// pages, which stay resident after an unload, so a later measurement would read ~0.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engines/engine.h"
#include "engines/tts/tts_common.h"

namespace harvis {

class FliteEngine final : public Engine {
 public:
  bool UsesGpu() const override { return false; }  // CPU only
  // Validates the model (kind tts, a known default voice) and builds an unloaded
  // engine; kInvalidArgument naming the problem otherwise.
  static Result<std::unique_ptr<Engine>> Create(const ModelConfig& model);

  ~FliteEngine() override;

  std::string_view engine_name() const override { return "flite"; }
  ModelKind kind() const override { return ModelKind::kTts; }
  // A fixed estimate of the five voices' resident data (12 MiB).
  std::uint64_t EstimateFootprint() const override;

  // Registers flite's voices (shared by all flite models) and measures the footprint.
  // Always runs on the CPU: a GPU target only accounts the footprint there. Not
  // thread-safe (the scheduler serialises lifecycle calls).
  Status Load(const LoadRequest& request) override;
  std::uint64_t FootprintBytes() const override;
  // Releases this model's hold on the voices (the last flite model unregisters them).
  // Idempotent.
  void Unload() override;

  // Synthesizes the whole text (sentence by sentence) into one buffer. Thread-safe.
  Result<SpeechAudio> Synthesize(std::string_view text, const SynthesizeOptions& options) override;

  // Synthesizes `text` one sentence at a time and passes each sentence's audio to
  // `on_sentence` (on this thread, no lock held); stops early, with Ok, when it returns
  // false. kInvalidArgument for empty text, a bad speed, sample rate or voice;
  // kUnavailable when not loaded. Thread-safe.
  Status SynthesizeSentences(std::string_view text, const SynthesizeOptions& options,
                             const tts::SentenceCallback& on_sentence);

  // The voices this engine offers (loaded or not). Thread-safe.
  static std::vector<tts::Voice> ListVoices();

 private:
  FliteEngine(ModelConfig model, std::string default_voice);

  const ModelConfig model_;
  const std::string default_voice_;
  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> footprint_{0};
};

}  // namespace harvis
