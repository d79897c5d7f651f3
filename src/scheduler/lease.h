// Lease: a request's reference-counted hold on a READY model (SPEC §4). While any lease
// on a model exists, the model is never unloaded. The engine calls go through the
// lease: each call takes one of the model's `parallel` slots, then compute of the
// model's device at the lease's priority (issue 10): one share of its GPU and one host
// thread, or cores of the host's CPU budget; a remote engine (Ollama) takes none. A
// chat yields its compute between tokens to waiting calls of higher priority.
//
// Thread safety: a Lease is move-only and owned by one thread at a time; its calls may
// run concurrently with other leases' calls. Releasing (destruction or Release()) is
// thread-safe. A Lease must not outlive the Scheduler that issued it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "engines/engine.h"
#include "scheduler/call_slots.h"
#include "scheduler/compute_queue.h"

namespace harvis {

class Scheduler;
struct ModelEntry;
class LeasedTranscription;

class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Release(); }

  bool valid() const { return model_ != nullptr; }
  const std::string& model() const;
  ModelKind kind() const;
  // The device the model is resident on ("cpu", "gpu0", ...).
  const std::string& device() const { return device_; }
  // The priority of its engine calls in the device's compute queue.
  Priority priority() const { return priority_; }

  // Speech to text; options.threads is set from the CPU budget.
  Result<Transcript> Transcribe(const std::vector<float>& pcm_16k_mono,
                                TranscribeOptions options = {}) const;
  // A streamed transcription (an engine that decodes as the audio arrives), when one of
  // the model's parallel slots is free right now: it keeps that slot until destroyed, so
  // it never waits behind other calls while the user speaks. kResourceExhausted when
  // every slot is busy, the engine's error when it cannot stream: the caller then
  // transcribes the whole audio with Transcribe. Destroy it before the lease.
  Result<std::unique_ptr<LeasedTranscription>> OpenTranscription(TranscribeOptions options = {}) const;
  // Text to speech; options.threads is set from the CPU budget.
  Result<SpeechAudio> Synthesize(std::string_view text, SynthesizeOptions options = {}) const;
  // Chat with a token stream; `cancel` may be null.
  Result<ChatResult> Chat(const std::vector<ChatMessage>& messages, ChatOptions options,
                          const TokenCallback& on_token, const CancellationToken* cancel) const;

  // Ends the lease (idempotent); the model's keep-alive clock starts when its last
  // lease ends.
  void Release();

 private:
  friend class Scheduler;
  friend class LeasedTranscription;
  // `compute`: the device's queue; null for an engine that computes elsewhere.
  Lease(Scheduler* scheduler, ModelEntry* model, std::string device, Priority priority,
        ComputeQueue* compute, bool on_gpu)
      : scheduler_(scheduler), model_(model), device_(std::move(device)), priority_(priority),
        compute_(compute), on_gpu_(on_gpu) {}
  // kResourceExhausted: no `what` became free within the queue timeout.
  Status Busy(const std::string& what) const;
  // Units of compute an engine call on this model asks for: one GPU share, or cores.
  int WantedUnits() const;
  // Runs fn(threads, grant) holding a `parallel` slot and the device's compute (grant
  // null without a compute queue); both waits together last at most queue_timeout.
  template <typename Fn>
  auto WithCompute(bool yields, Fn&& fn) const -> decltype(fn(1, nullptr));
  // The compute half of WithCompute, for a caller that already holds a slot.
  template <typename Fn>
  auto WithDeviceCompute(bool yields, std::chrono::steady_clock::time_point deadline, Fn&& fn) const
      -> decltype(fn(1, nullptr));

  Scheduler* scheduler_ = nullptr;
  ModelEntry* model_ = nullptr;
  std::string device_;
  Priority priority_ = Priority::kNormal;
  ComputeQueue* compute_ = nullptr;
  bool on_gpu_ = false;
};

// Lease::OpenTranscription's stream: each Feed and Finish takes the device's compute
// like an engine call. Not thread-safe (one owner).
class LeasedTranscription {
 public:
  // Decodes the next samples (16 kHz mono).
  Status Feed(const std::vector<float>& pcm_16k_mono);
  // The words recognized so far (a first-pass guess).
  std::string Partial();
  // Ends the utterance: its transcript.
  Result<Transcript> Finish();

 private:
  friend class Lease;
  LeasedTranscription(const Lease& lease, SlotGrant slot, std::unique_ptr<TranscriptionStream> stream)
      : lease_(lease), slot_(std::move(slot)), stream_(std::move(stream)) {}

  const Lease& lease_;
  SlotGrant slot_;  // destroyed after stream_: the decoder is free before the slot is
  std::unique_ptr<TranscriptionStream> stream_;
};

}  // namespace harvis
