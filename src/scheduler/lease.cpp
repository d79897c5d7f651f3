#include "scheduler/lease.h"

#include <cstdlib>

#include "scheduler/model_entry.h"
#include "scheduler/scheduler.h"

namespace harvis {
namespace {

Status NoLease() { return Status(ErrorCode::kFailedPrecondition, "call on an empty lease"); }

}  // namespace

template <typename Fn>
auto Lease::WithCompute(bool yields, Fn&& fn) const -> decltype(fn(1, nullptr)) {
  const Duration timeout = scheduler_->options().queue_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<SlotGrant> slot = model_->slots.AcquireFor(1, timeout);
  if (!slot) return Busy("parallel slot");
  return WithDeviceCompute(yields, deadline, fn);
}

template <typename Fn>
auto Lease::WithDeviceCompute(bool yields, std::chrono::steady_clock::time_point deadline, Fn&& fn) const
    -> decltype(fn(1, nullptr)) {
  if (compute_ == nullptr) return fn(1, nullptr);
  std::optional<ComputeGrant> grant = compute_->AcquireFor(priority_, WantedUnits(), yields, deadline);
  if (!grant) return Busy(on_gpu_ ? "compute share of " + device_ : std::string("CPU core"));
  // On a GPU the device computes: the call gets one host thread.
  return fn(on_gpu_ ? 1 : grant->units(), &*grant);
}

Status Lease::Busy(const std::string& what) const {
  return Status(ErrorCode::kResourceExhausted, "model '" + model_->config.name + "': no " + what +
                                                   " became free within " +
                                                   FormatDuration(scheduler_->options().queue_timeout) +
                                                   "; try again later")
      .WithRetryAfter(1);
}

Lease::Lease(Lease&& other) noexcept
    : scheduler_(other.scheduler_), model_(other.model_), device_(std::move(other.device_)),
      priority_(other.priority_), compute_(other.compute_), on_gpu_(other.on_gpu_) {
  other.scheduler_ = nullptr;
  other.model_ = nullptr;
}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    scheduler_ = other.scheduler_;
    model_ = other.model_;
    device_ = std::move(other.device_);
    priority_ = other.priority_;
    compute_ = other.compute_;
    on_gpu_ = other.on_gpu_;
    other.scheduler_ = nullptr;
    other.model_ = nullptr;
  }
  return *this;
}

const std::string& Lease::model() const {
  static const std::string kNone;
  return model_ ? model_->config.name : kNone;
}

ModelKind Lease::kind() const { return model_ ? model_->config.kind : ModelKind::kStt; }

void Lease::Release() {
  if (model_ == nullptr) return;
  scheduler_->ReleaseLease(*model_);
  model_ = nullptr;
  scheduler_ = nullptr;
}

int Lease::WantedUnits() const {
  if (on_gpu_) return 1;
  return model_->config.ThreadsOr(4);
}

Result<Transcript> Lease::Transcribe(const std::vector<float>& pcm,
                                     TranscribeOptions options) const {
  if (!valid()) return NoLease();
  return WithCompute(false, [&](int threads, ComputeGrant*) {
    options.threads = threads;
    return model_->engine->Transcribe(pcm, options);
  });
}

Result<std::unique_ptr<LeasedTranscription>> Lease::OpenTranscription(TranscribeOptions options) const {
  if (!valid()) return NoLease();
  std::optional<SlotGrant> slot = model_->slots.AcquireFor(1, Duration::zero());
  if (!slot) {
    return Status(ErrorCode::kResourceExhausted, "model '" + model_->config.name + "': no parallel slot is free");
  }
  auto stream = model_->engine->OpenTranscription(options);
  if (!stream.ok()) return stream.status();
  return std::unique_ptr<LeasedTranscription>(new LeasedTranscription(*this, std::move(*slot), std::move(*stream)));
}

Status LeasedTranscription::Feed(const std::vector<float>& pcm) {
  const auto deadline = std::chrono::steady_clock::now() + lease_.scheduler_->options().queue_timeout;
  return lease_.WithDeviceCompute(false, deadline, [&](int threads, ComputeGrant*) { return stream_->Feed(pcm, threads); });
}

std::string LeasedTranscription::Partial() { return stream_->Partial(); }

Result<Transcript> LeasedTranscription::Finish() {
  const auto deadline = std::chrono::steady_clock::now() + lease_.scheduler_->options().queue_timeout;
  return lease_.WithDeviceCompute(false, deadline, [&](int, ComputeGrant*) { return stream_->Finish(); });
}

Result<SpeechAudio> Lease::Synthesize(std::string_view text, SynthesizeOptions options) const {
  if (!valid()) return NoLease();
  return WithCompute(false, [&](int threads, ComputeGrant*) {
    options.threads = threads;
    return model_->engine->Synthesize(text, options);
  });
}

Result<ChatResult> Lease::Chat(const std::vector<ChatMessage>& messages, ChatOptions options,
                               const TokenCallback& on_token,
                               const CancellationToken* cancel) const {
  if (!valid()) return NoLease();
  bool engine_ran = false;  // false: refused while waiting for a slot or compute
  auto call = [&] {
    return WithCompute(true, [&](int threads, ComputeGrant* grant) {
      engine_ran = true;
      options.threads = threads;
      if (grant == nullptr) return model_->engine->Chat(messages, options, on_token, cancel);
      // Between tokens, hand the compute to waiting calls of higher priority.
      TokenCallback yielding = [&](std::string_view token) {
        const bool go_on = !on_token || on_token(token);
        grant->YieldPoint();
        return go_on;
      };
      return model_->engine->Chat(messages, options, yielding, cancel);
    });
  };
  Result<ChatResult> result = call();
  // A tenant (Ollama) out of memory: free our own idle models on its device, retry once.
  if (!result.ok() && engine_ran && result.status().code() == ErrorCode::kResourceExhausted &&
      !model_->tenant_name.empty() && scheduler_->FreeRoomForTenant(*model_) > 0) {
    result = call();
  }
  return result;
}

}  // namespace harvis
