// `engine: pocketsphinx` — speech to text with CMU pocketsphinx 0.8 ("5prealpha",
// Debian 12), in process, on the CPU. Needs no download: the defaults point at Debian's
// pocketsphinx-en-us model, so it backs the built-in default configuration.
//
// Configuration (ModelConfig):
//   path:          acoustic model folder (default <modeldir>/en-us/en-us, where modeldir
//                  is `pkg-config --variable=modeldir pocketsphinx`, i.e.
//                  /usr/share/pocketsphinx/model on Debian).
//   options.lm:    language model (default <modeldir>/en-us/en-us.lm.bin).
//   options.dict:  dictionary (default <modeldir>/en-us/cmudict-en-us.dict).
//   parallel: N    N decoders, so N requests are decoded at once (a ps_decoder_t is not
//                  thread-safe; each holds its own copy of the model, ~96 MiB for en-us).
//
// Input: 16 kHz mono float PCM. Language: only English ("" or "en", also "en-us" style
// tags); anything else is kInvalidArgument. Output: lower-case words, segments split at
// pauses of 0.3 s or more (times from 10 ms frames), language "en". Silence gives an
// empty (or near-empty) transcript, not an error. A decoder adapts to the audio it has
// heard (pocketsphinx's live normalisation state persists across utterances), so the
// same audio may decode slightly differently depending on earlier requests served by
// that decoder; nothing else (text, timing) carries from one request to the next.
//
// Thread safety: Transcribe may be called concurrently; each call borrows a decoder from
// the pool (waiting while all N are busy) under `mu_`, decodes without any lock, and
// returns it. Lock order: `mu_` is a leaf; decoder creation takes the process-wide load
// lock of PocketsphinxDecoder, never while `mu_` is held.
//
// Footprint (FootprintBytes): the sum over the pool of the resident-set growth measured
// around each decoder's cmd_ln_init + ps_init, taken under a process-wide load lock
// (floored at the model files' size). EstimateFootprint predicts it before a load as
// 2.5 x the model files' size x N (the en-us model: 38 MB of files, ~96 MB measured).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engines/engine.h"
#include "engines/stt/pocketsphinx/pocketsphinx_decoder.h"

namespace harvis {

class PocketsphinxEngine final : public Engine {
 public:
  bool UsesGpu() const override { return false; }  // CPU only
  // Validates the model (kind stt, parallel >= 1) and resolves the model paths; does
  // not read the model. kInvalidArgument naming the problem otherwise.
  static Result<std::unique_ptr<Engine>> Create(const ModelConfig& model);

  ~PocketsphinxEngine() override;

  std::string_view engine_name() const override { return "pocketsphinx"; }
  ModelKind kind() const override { return ModelKind::kStt; }
  std::uint64_t EstimateFootprint() const override;

  // Builds `parallel` decoders (serialised process-wide) and measures them. Always runs
  // on the CPU: a GPU target only accounts the footprint there. On failure nothing stays
  // loaded. Not thread-safe (the scheduler serialises lifecycle calls).
  Status Load(const LoadRequest& request) override;
  std::uint64_t FootprintBytes() const override;
  // Frees every decoder. Must not run concurrently with Transcribe (leases). Idempotent.
  void Unload() override;

  // Decodes 16 kHz mono PCM with a decoder from the pool. kInvalidArgument for a
  // language other than English; kUnavailable when not loaded. Thread-safe.
  Result<Transcript> Transcribe(const std::vector<float>& pcm_16k_mono,
                                const TranscribeOptions& options) override;
  // A streamed utterance on a decoder of the pool, which it keeps (waiting for one while
  // all are busy) until destroyed; destroy it before Unload. Its partial hypothesis is
  // the first (tree) pass; Finish runs the full search, so the end costs a fraction of
  // decoding the whole utterance. Same errors as Transcribe.
  Result<std::unique_ptr<TranscriptionStream>> OpenTranscription(const TranscribeOptions& options) override;

  // The model files this engine uses. Thread-safe (immutable).
  const stt::PocketsphinxPaths& paths() const { return paths_; }

 private:
  PocketsphinxEngine(ModelConfig model, stt::PocketsphinxPaths paths);

  class Stream;
  Status CheckLanguage(const std::string& language) const;
  Status NotLoaded() const;
  // Takes an idle decoder (waits while all are busy); nullptr when not loaded.
  stt::PocketsphinxDecoder* Borrow();
  void Return(stt::PocketsphinxDecoder* decoder);

  const ModelConfig model_;
  const stt::PocketsphinxPaths paths_;

  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<stt::PocketsphinxDecoder>> decoders_;  // the pool (owned)
  std::vector<stt::PocketsphinxDecoder*> idle_;                      // not in use now
  std::uint64_t footprint_ = 0;
};

}  // namespace harvis
