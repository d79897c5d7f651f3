// RealtimeSession: one OpenAI-Realtime-style voice conversation (GET /v1/realtime),
// independent of its JSON framing. The caller feeds client actions (Append, Commit, ...)
// from one thread; the session reports server events through a RealtimeEventSink.
//
//   Append ─► input buffer ─► VAD ──speech_started──► barge-in: cancel the response
//                 │                └─speech_stopped─► commit (as Commit())
//                 └─ with an STT engine that streams (pocketsphinx): the speech is fed to
//                    it as it arrives (the whole uncommitted buffer without server VAD),
//                    so a commit only ends the utterance; partials are its first-pass
//                    guesses. A stream holds one of the STT model's parallel slots (none
//                    free: no stream) and at most 60 s of audio. Other engines, and
//                    utterances without a stream: the speech so far is transcribed again
//                    every partial_interval (delta), the whole audio at the commit.
//                 └─ a pause of silence_duration_ms / 3 inside the speech: speculative
//                    final transcription, used by the VAD commit when no voice followed
//   Commit ─► user item ─► worker: transcribe (completed) ─► [create_response] Respond
//   Respond (worker): LLM tokens ─► SentenceSplitter ─► SentenceSpeaker ─► audio deltas
//
// One worker thread runs the jobs (partial transcriptions, final transcriptions,
// responses) in order, so model calls never overlap within a session. Each user turn
// holds a scheduler Turn (STT → LLM → TTS leases, with prewarm) from its first
// transcription until its response ends. A cancelled response keeps in the history only
// the sentences whose audio was delivered.
//
// Thread safety: client actions from one thread at a time; the sink is called from that
// thread and from the worker, never concurrently. The destructor cancels the response,
// joins the worker and so releases every lease.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"
#include "pipeline/sentence_splitter.h"
#include "pipeline/vad.h"
#include "scheduler/turn.h"

namespace harvis {
class Scheduler;
}

namespace harvis::pipeline {

struct RealtimeConfig {
  std::string stt_model, llm_model, tts_model;
  std::string voice;         // engine voice; empty: the engine's default
  std::string language;      // transcription language; empty: the engine's default
  std::string instructions;  // the system prompt; empty: none
  bool audio_output = true;  // modalities include "audio"; else text only
  bool server_vad = true;    // turn_detection server_vad; false: commits are manual
  bool create_response = true;     // a VAD commit starts a response
  bool interrupt_response = true;  // speech during a response cancels it
  VadOptions vad;
  double temperature = 0.8;
  int max_output_tokens = 0;  // 0: engine default
  int partial_interval_ms = 1000;  // speech between two partial transcriptions
  SplitterOptions splitter;
};

// One server event; `type` is the OpenAI Realtime event name. Fields not listed for a
// type are left empty.
struct RealtimeEvent {
  RealtimeEvent() = default;
  explicit RealtimeEvent(std::string event_type) : type(std::move(event_type)) {}

  std::string type;
  std::string item_id;           // the user or assistant item
  std::string previous_item_id;  // committed, conversation.item.created
  std::string response_id;
  std::string text;       // deltas, transcripts
  std::string role;       // conversation.item.created: "user" | "assistant"
  int64_t audio_ms = -1;  // speech_started: audio_start_ms; speech_stopped: audio_end_ms
  SpeechAudio audio;      // response.audio.delta
  std::string status;     // response.done: completed | cancelled | failed
  std::string reason;     // response.done when cancelled: turn_detected | client_cancelled
  bool text_only = false; // response.done: the answer was text, not audio
  Status error;           // error, transcription failed, failed response
  std::string error_code; // an OpenAI error code, e.g. input_audio_buffer_commit_empty
};

class RealtimeEventSink {
 public:
  virtual ~RealtimeEventSink() = default;
  virtual void Emit(RealtimeEvent event) = 0;
};

class RealtimeSession {
 public:
  // Inputs longer than this are refused (the buffer is kept in memory).
  static constexpr int64_t kMaxBufferMs = 10 * 60 * 1000;

  // `scheduler` and `sink` must outlive the session.
  RealtimeSession(Scheduler& scheduler, RealtimeConfig config, RealtimeEventSink& sink);
  ~RealtimeSession();
  RealtimeSession(const RealtimeSession&) = delete;
  RealtimeSession& operator=(const RealtimeSession&) = delete;

  RealtimeConfig config() const;
  // Replaces the configuration; a running response keeps the one it started with.
  void Update(RealtimeConfig config);

  // input_audio_buffer.append: 16 kHz mono; runs the VAD under server_vad.
  void Append(const std::vector<float>& pcm_16k);
  // input_audio_buffer.commit: the buffer becomes a user item and is transcribed.
  void Commit();
  // input_audio_buffer.clear.
  void Clear();
  // response.create: answers the conversation so far (after pending transcriptions).
  void CreateResponse();
  // response.cancel.
  void CancelResponse();

  // The conversation as the LLM sees it next (completed turns only). Thread-safe.
  std::vector<ChatMessage> History() const;
  // True while a response is queued or running. Thread-safe.
  bool responding() const;

 private:
  struct Job;
  struct Response;
  struct Outcome;

  void OnSpeechStarted(int64_t audio_ms);
  void OnSpeechStopped(int64_t audio_ms);
  int64_t StreamMs() const { return samples_ * 1000 / VoiceActivityDetector::kSampleRate; }
  // The index in buffer_ of stream offset `ms` (0 when it lies before the buffer).
  size_t BufferIndex(int64_t ms) const {
    return static_cast<size_t>(std::max<int64_t>(0, ms * (VoiceActivityDetector::kSampleRate / 1000) - buffer_start_));
  }
  void ResetVadLocked();
  void SpeculateLocked();
  // Streaming STT: starts feeding a new utterance from stream offset `from` (samples),
  // feeds more of it, stops (the worker drops the stream).
  void StartStreamLocked(int64_t from);
  void FeedStreamLocked(const std::vector<float>& pcm);
  void StopStreamLocked();
  bool CanStreamLocked() const { return stt_streams_ != Streams::kNo; }
  void AddItemLocked(const std::string& item, const char* role);
  void CommitLocked(std::string item, int64_t from_ms);
  void QueueResponseLocked(const std::string& for_item, bool automatic);
  void EnqueueLocked(Job job);
  void Emit(RealtimeEvent event);
  void EmitError(ErrorCode code, const std::string& error_code, const std::string& message);
  std::string NewId(const char* prefix);

  void Work();
  void EndTurn();
  void RunFeed(const Job& job);
  // The worker's stream for `stream_id`, nullptr when it has none (or it failed).
  LeasedTranscription* StreamFor(uint64_t stream_id);
  std::optional<Result<Transcript>> FinishStream(uint64_t stream_id);
  Result<Transcript> Transcribe(const Job& job);
  void EmitPartial(const std::string& item, const std::string& text);
  void RunPartial(const Job& job);
  void RunSpeculative(const Job& job);
  void RunFinal(const Job& job);
  void RunResponse(const Job& job);
  void Answer(Response& response, const RealtimeConfig& config);
  Outcome Generate(Response& response, const RealtimeConfig& config, const std::string& item);
  void Conclude(Response& response, const RealtimeConfig& config, const std::string& item, const Outcome& out);
  Result<const Lease*> Stage(size_t stage, const RealtimeConfig& config);
  void FinishResponse(const std::shared_ptr<Response>& response);

  Scheduler& scheduler_;
  RealtimeEventSink& sink_;
  std::mutex emit_mu_;  // serializes sink calls; lock order: mu_, then emit_mu_

  mutable std::mutex mu_;  // guards everything below
  RealtimeConfig config_;
  std::unique_ptr<VoiceActivityDetector> vad_;  // rebuilt when its options change
  int64_t vad_origin_ms_ = 0;      // stream offset where vad_ started
  int64_t samples_ = 0;            // samples appended in the whole session
  std::vector<float> buffer_;      // input since the last commit or clear
  int64_t buffer_start_ = 0;       // stream offset of buffer_[0], in samples
  std::string speech_item_;        // the item the current speech will become ("" when silent)
  int64_t speech_start_ms_ = -1;
  int64_t next_partial_ms_ = 0;
  // The final transcript, computed early: while the VAD waits for silence_duration_ms to
  // end a turn, the worker transcribes the speech so far, so the commit finds it ready.
  struct Speculation {
    std::string item;           // the speech it is for ("" when none)
    uint64_t generation = 0;    // which pause started it
    bool valid = false;         // false once voice came back or the commit was manual
    bool vad_commit = false;    // the VAD ended the turn during that same pause
    std::optional<Result<Transcript>> transcript;  // set by the worker
  } speculation_;
  uint64_t speculation_generation_ = 0;
  // Streaming STT (client side): the utterance being fed; 0 when none.
  enum class Streams { kUnknown, kYes, kNo } stt_streams_ = Streams::kUnknown;  // set by the worker
  uint64_t stream_id_ = 0, next_stream_id_ = 0;
  int64_t stream_from_ = 0;        // its first sample (stream offset)
  std::string last_item_;          // the newest conversation item
  std::vector<ChatMessage> history_;
  std::shared_ptr<Response> response_;  // the queued or running response; null when none
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::condition_variable cv_;
  uint64_t next_id_ = 0;
  std::string id_prefix_;

  // Worker thread only.
  std::optional<Turn> turn_;
  std::unique_ptr<LeasedTranscription> stream_;  // fed from turn_'s STT lease; before turn_ ends
  uint64_t worker_stream_id_ = 0;
  int64_t stream_fed_ms_ = 0, next_stream_partial_ms_ = 0;
  std::string partial_item_, partial_text_;  // the deltas already sent for that item
  std::string empty_item_;                    // the last item in which no speech was recognized
  std::thread worker_;
};

}  // namespace harvis::pipeline
