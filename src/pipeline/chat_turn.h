// ChatTurn: the whole-answer turn of POST /api/chat and /api/mic-chat (Harvis routes):
// [transcribe] ─► LLM (tokens reported as they come) ─► speak the whole answer.
// Unlike VoiceTurn, speech starts only once the answer is complete; /api/mic-chat is the
// baseline that /api/voice's time to first audio is measured against.
//
// Start() leases the first stage (and transcribes, for audio input) before any byte of
// the response is sent, so its failures are plain HTTP errors. The turn's models are
// leased until it is destroyed; with `low_vram` they are unloaded then (when no other
// request holds them).
//
// Thread safety: one thread uses a ChatTurn.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"
#include "scheduler/turn.h"

namespace harvis {
class Scheduler;
}

namespace harvis::pipeline {

struct ChatTurnRequest {
  std::vector<float> pcm;  // 16 kHz mono; when not empty it is transcribed into `message`
  std::string message;
  std::string stt_model, llm_model, tts_model;  // stt_model only with pcm
  std::string voice;
  std::string language;
  std::vector<ChatMessage> history;
  bool text_only = false;  // no speech
  bool low_vram = false;   // unload the turn's models after it
};

struct ChatTurnResult {
  std::string answer;
  std::vector<ChatMessage> history;  // the request's history plus this exchange
  std::optional<SpeechAudio> speech;  // absent when text_only or nothing speakable
};

struct ChatTurnCallbacks {
  // "streaming" tokens as the LLM writes; return false to stop (client gone).
  std::function<bool(std::string_view token)> on_token;
  // Called once before speech synthesis starts; return false to stop.
  std::function<bool()> on_generating_audio;
};

class ChatTurn {
 public:
  // Leases the first stage (prewarming the next) and transcribes audio input.
  static Result<std::unique_ptr<ChatTurn>> Start(Scheduler& scheduler, ChatTurnRequest request);
  ~ChatTurn();

  // The user's message: the request's, or the transcription of its audio.
  const std::string& message() const { return request_.message; }
  // Runs the LLM, then speaks the answer (unless text_only).
  Result<ChatTurnResult> Run(const ChatTurnCallbacks& callbacks);

 private:
  ChatTurn(Scheduler& scheduler, Turn turn, ChatTurnRequest request);
  size_t StageOf(const std::string& model) const;

  Scheduler& scheduler_;
  Turn turn_;
  ChatTurnRequest request_;
};

// Transcribes the turn's audio; kUnprocessable when no speech is recognized in it.
Result<Transcript> TranscribeSpeech(const Lease& stt, const std::vector<float>& pcm, const std::string& language);
// TranscribeSpeech's rule for any transcript: a blank one becomes kUnprocessable.
Result<Transcript> RequireSpeech(Result<Transcript> transcript);

// Speaks `text` sentence by sentence into one audio clip; nullopt when nothing in it is
// speakable (e.g. only code). kPayloadTooLarge once the clip would pass `max_bytes` of
// 16-bit PCM (long text spoken slowly makes hundreds of MB).
inline constexpr std::uint64_t kMaxSpeechBytes = 64ull << 20;
Result<std::optional<SpeechAudio>> SpeakText(const Lease& tts, std::string_view text, const SynthesizeOptions& options,
                                             std::uint64_t max_bytes = kMaxSpeechBytes);

}  // namespace harvis::pipeline
