// SentenceSpeaker: synthesizes queued sentences in order on a thread of its own, so
// that the LLM keeps writing while a sentence is being spoken.
//
// The TTS lease is taken on the speaker's thread when the first sentence arrives: taking
// it may wait for a load, and that wait must never block the thread that reads the LLM
// stream (which may hold CPU cores the load needs).
//
// Thread safety: Push and Finish are called by one thread (the turn's); `lease` and
// `deliver` run on the speaker's thread. The lease must stay valid until Finish() returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "engines/engine.h"
#include "scheduler/lease.h"

namespace harvis::pipeline {

class SentenceSpeaker {
 public:
  // Called with each sentence's audio, in order; returns false when the client is gone.
  using Deliver = std::function<bool(size_t index, const std::string& sentence, const SpeechAudio& audio)>;

  // Called once, before the first synthesis, for the TTS model's lease.
  using LeaseSource = std::function<Result<const Lease*>()>;

  // `cancel` is set when leasing or synthesis fails or `deliver` returns false; queued
  // sentences are dropped once it is set.
  SentenceSpeaker(LeaseSource lease, SynthesizeOptions options, Deliver deliver, CancellationToken& cancel);
  ~SentenceSpeaker();
  SentenceSpeaker(const SentenceSpeaker&) = delete;
  SentenceSpeaker& operator=(const SentenceSpeaker&) = delete;

  void Push(std::string sentence);
  // Waits until every queued sentence is spoken or dropped; the first error.
  Status Finish();

 private:
  void Run();
  Status Speak(size_t index, const std::string& sentence);

  const LeaseSource lease_source_;
  const Lease* lease_ = nullptr;  // speaker thread only
  const SynthesizeOptions options_;
  const Deliver deliver_;
  CancellationToken& cancel_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool closed_ = false;            // guarded by mu_
  Status error_;                   // written by the speaker thread, read after join
  std::thread thread_;
};

}  // namespace harvis::pipeline
