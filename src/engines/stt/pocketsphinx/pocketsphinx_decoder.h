// One pocketsphinx 0.8 ("5prealpha", Debian 12) decoder: its configuration (cmd_ln_t)
// and its ps_decoder_t, owned together. A decoder is NOT thread-safe: one call at a time
// (PocketsphinxEngine keeps a pool, one decoder per concurrent request).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"

// Opaque library types (pocketsphinx.h / sphinxbase/cmd_ln.h).
struct ps_decoder_s;
struct cmd_ln_s;

namespace harvis::stt {

// Where the acoustic model, language model and dictionary are.
struct PocketsphinxPaths {
  std::string hmm;   // acoustic model folder (mdef, means, ...)
  std::string lm;    // n-gram language model (.lm.bin or ARPA)
  std::string dict;  // pronunciation dictionary

  // The en-us model of Debian's pocketsphinx-en-us package (from pkg-config's modeldir
  // at build time, else /usr/share/pocketsphinx/model).
  static PocketsphinxPaths Defaults();
  // kFailedPrecondition naming the first path that does not exist.
  Status Check() const;
  // Total size of the model files (the acoustic model folder's files, lm and dict).
  std::uint64_t FileBytes() const;
};

class PocketsphinxDecoder {
 public:
  // Builds a decoder (cmd_ln_init + ps_init) under a process-wide load lock and measures
  // the growth of the resident set across it (RSS delta, floored at the model files'
  // size), available as footprint_bytes(). Library logging is switched off once per
  // process (err_set_logfp(NULL)). kFailedPrecondition when the model cannot be read.
  // Thread-safe (loads are serialised).
  static Result<std::unique_ptr<PocketsphinxDecoder>> Create(const PocketsphinxPaths& paths);

  ~PocketsphinxDecoder();
  PocketsphinxDecoder(const PocketsphinxDecoder&) = delete;
  PocketsphinxDecoder& operator=(const PocketsphinxDecoder&) = delete;

  // Decodes one utterance of 16 kHz mono float PCM (clamped to [-1, 1], converted to
  // 16-bit and fed in one call, as a full utterance). Text is lower-case words; segments group
  // words between pauses, with times from the decoder's frames (counted from the
  // utterance's first frame: pocketsphinx 0.8 numbers them from a running offset once a
  // decoder has streamed). Not thread-safe (one call at a time).
  Result<Transcript> Decode(const std::vector<float>& pcm_16k_mono);

  // Streaming: one utterance fed in pieces as it is spoken (live normalisation), the
  // first-pass hypothesis on the way, the full search at the end. Between StartStream
  // and FinishStream (or AbortStream) the decoder serves nothing else.
  Status StartStream();
  Status FeedStream(const std::vector<float>& pcm_16k_mono);
  std::string StreamHypothesis();
  Result<Transcript> FinishStream();
  void AbortStream();

  std::uint64_t footprint_bytes() const { return footprint_bytes_; }

 private:
  PocketsphinxDecoder(cmd_ln_s* config, ps_decoder_s* decoder, std::uint64_t footprint);

  Result<Transcript> Collect(double duration_s);  // the ended utterance's transcript

  cmd_ln_s* config_;
  ps_decoder_s* decoder_;
  std::size_t stream_samples_ = 0;  // fed since StartStream
  std::uint64_t footprint_bytes_;
  int frame_rate_;  // frames per second (-frate; 100 = 10 ms frames)
};

}  // namespace harvis::stt
