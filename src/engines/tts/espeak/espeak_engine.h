// `engine: espeak` — text to speech with libespeak-ng, in process, on the CPU.
//
// Configuration (ModelConfig):
//   path:            espeak-ng-data folder; empty = the library's default. Process-wide:
//                    every espeak model must name the same folder.
//   options.voice:   default voice (default "en-us"); see ListVoices() and
//                    EspeakRuntime::Resolve for the accepted spellings ("en-us+f3", ...).
//
// Output: 16-bit mono PCM at espeak's native 22050 Hz, resampled (libsoxr) when
// SynthesizeOptions::sample_rate asks for another rate. Speed: espeakRATE = 175 wpm x
// speed, clamped to espeak's 80..450 wpm (so speeds beyond ~0.46x..2.57x saturate).
// Text is split into sentences (tts::SplitSentences) and synthesized one at a time, so
// the working memory of a call is bounded by one sentence; SynthesizeSentences hands
// each sentence's audio to a callback as soon as it is ready.
//
// Thread safety: every libespeak-ng call goes through EspeakRuntime's one process-wide
// mutex (espeak-ng has global state and is not thread-safe), so concurrent Synthesize
// calls — `parallel: N`, or several espeak models — are safe but take turns per sentence.
//
// Footprint (FootprintBytes): the bytes of espeak-ng data held in the heap for the
// default voice — phontab, phonindex, phondata, intonations and the language's
// dictionary — measured from the sizes of those files, which espeak-ng reads whole into
// memory (about 0.8 MB for English). That data is shared by all espeak models and stays
// after Unload (see EspeakRuntime); each model reports it, which over-counts when several
// espeak models are loaded at once — the safe direction for the ledger.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engines/engine.h"
#include "engines/tts/tts_common.h"

namespace harvis {

class EspeakEngine final : public Engine {
 public:
  bool UsesGpu() const override { return false; }  // CPU only
  // Validates the model (kind tts) and builds an unloaded engine; kInvalidArgument
  // naming the problem otherwise. Does not touch libespeak-ng.
  static Result<std::unique_ptr<Engine>> Create(const ModelConfig& model);

  std::string_view engine_name() const override { return "espeak"; }
  ModelKind kind() const override { return ModelKind::kTts; }
  // The size of the English data files (phoneme tables + en_dict); 0 when not found.
  std::uint64_t EstimateFootprint() const override;

  // Initialises espeak-ng (once per process) and checks the default voice. Always runs
  // on the CPU: a GPU target only accounts the footprint there (configure device: cpu).
  // Not thread-safe (the scheduler serialises lifecycle calls).
  Status Load(const LoadRequest& request) override;
  std::uint64_t FootprintBytes() const override;
  // Marks the model unloaded; espeak-ng's process-wide data stays (see header). Idempotent.
  void Unload() override;

  // Synthesizes the whole text (sentence by sentence) into one buffer. Thread-safe.
  Result<SpeechAudio> Synthesize(std::string_view text, const SynthesizeOptions& options) override;

  // Synthesizes `text` one sentence at a time and passes each sentence's audio to
  // `on_sentence` (called on this thread, without any lock held); stops early, with Ok,
  // when it returns false. kInvalidArgument for empty text, a bad speed, sample rate
  // or voice; kUnavailable when not loaded. Thread-safe.
  Status SynthesizeSentences(std::string_view text, const SynthesizeOptions& options,
                             const tts::SentenceCallback& on_sentence);

  // Every installed espeak-ng voice (name, language, description); initialises espeak-ng
  // if needed. Thread-safe.
  Result<std::vector<tts::Voice>> ListVoices() const;

  // espeakRATE in words per minute for a speed factor: 175 x speed, clamped to 80..450.
  static int RateForSpeed(double speed);

 private:
  explicit EspeakEngine(ModelConfig model);

  const ModelConfig model_;
  const std::string default_voice_;
  std::atomic<bool> loaded_{false};
  std::atomic<std::uint64_t> footprint_{0};
};

}  // namespace harvis
