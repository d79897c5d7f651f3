// VoiceTurn: the streaming voice turn of POST /api/voice (SPEC §4 "Prewarm", §5).
//
//   Start():  lease STT (prewarms the LLM) ─► transcribe
//   Stream(): lease LLM (prewarms TTS) ─► tokens ─► SentenceSplitter ─► sentence queue
//                                                                         │
//             TTS worker thread (leases TTS at the first sentence) ◄──────┘
//                 └─► one WAV per sentence, sent while the LLM is still writing
//
// Start() runs before any byte of the response is sent, so its failures (unknown model,
// no room, no speech) become plain HTTP errors; Stream()'s happen mid-stream.
// The turn holds its leases from Start() until it is destroyed.
//
// Thread safety: a VoiceTurn is used by one thread; Stream() runs the TTS worker on a
// thread it owns and joins. Sink calls are serialized (never concurrent).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"
#include "pipeline/sentence_splitter.h"
#include "scheduler/turn.h"

namespace harvis {
class Scheduler;
}

namespace harvis::pipeline {

struct VoiceTurnRequest {
  std::vector<float> pcm;  // 16 kHz mono
  std::string stt_model, llm_model, tts_model;
  std::string voice;     // engine voice; empty: the engine's default
  std::string language;  // empty: auto-detect
  std::vector<ChatMessage> history;
  SplitterOptions splitter;
};

// Seconds from the start of the turn; negative when the event never happened.
struct VoiceTurnTimings {
  double stt_s = 0;
  double first_token_s = -1;
  double first_audio_s = -1;
  double total_s = 0;
};

// Receives the turn's output as it happens. Each call returns false when the client is
// gone, which cancels the turn.
class VoiceTurnSink {
 public:
  virtual ~VoiceTurnSink() = default;
  virtual bool Token(std::string_view token) = 0;
  virtual bool Audio(size_t index, const std::string& sentence, const SpeechAudio& audio) = 0;
};

struct VoiceTurnResult {
  std::string answer;
  size_t sentences = 0;
  bool cancelled = false;
  VoiceTurnTimings timings;
};

class VoiceTurn {
 public:
  // Leases the STT model (prewarming the LLM) and transcribes. kUnprocessable when no
  // speech is recognized; scheduler errors as Acquire gives them.
  static Result<std::unique_ptr<VoiceTurn>> Start(Scheduler& scheduler, VoiceTurnRequest request);
  ~VoiceTurn();

  const Transcript& transcript() const { return transcript_; }
  // Runs the LLM and speaks each sentence as soon as it is complete. Errors after the
  // first token leave what was sent valid; the result reports a cancelled turn.
  Result<VoiceTurnResult> Stream(VoiceTurnSink& sink);

 private:
  VoiceTurn(Turn turn, VoiceTurnRequest request);

  Turn turn_;
  VoiceTurnRequest request_;
  Transcript transcript_;
  std::chrono::steady_clock::time_point started_;
  VoiceTurnTimings timings_;
};

}  // namespace harvis::pipeline
