#include "scheduler/lease.h"

#include <cstdlib>

#include "scheduler/model_entry.h"
#include "scheduler/scheduler.h"

namespace harvis {
namespace {

// One engine call: a `parallel` slot of the model, then cores from the CPU budget (none
// for an engine that computes elsewhere, such as Ollama). Both waits together last at
// most `timeout`; past it the call is refused with 503 + Retry-After, like a full queue.
template <typename Fn>
auto WithSlotAndCores(ModelEntry& m, Scheduler& scheduler, int wanted, Fn&& fn) -> decltype(fn(1)) {
  const Duration timeout = scheduler.options().queue_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto busy = [&](const char* what) {
    return Status(ErrorCode::kResourceExhausted, "model '" + m.config.name + "': no " + what + " became free within " +
                                                     FormatDuration(timeout) + "; try again later")
        .WithRetryAfter(1);
  };
  std::optional<CpuGrant> slot = m.slots.AcquireFor(1, timeout);
  if (!slot) return busy("parallel slot");
  if (!m.engine->UsesLocalCpu()) return fn(1);
  std::optional<CpuGrant> cores = scheduler.cpu().AcquireFor(wanted, deadline - std::chrono::steady_clock::now());
  if (!cores) return busy("CPU core");
  return fn(cores->threads());
}

Status NoLease() { return Status(ErrorCode::kFailedPrecondition, "call on an empty lease"); }

}  // namespace

Lease::Lease(Lease&& other) noexcept
    : scheduler_(other.scheduler_), model_(other.model_), device_(std::move(other.device_)) {
  other.scheduler_ = nullptr;
  other.model_ = nullptr;
}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    scheduler_ = other.scheduler_;
    model_ = other.model_;
    device_ = std::move(other.device_);
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

int Lease::WantedThreads() const {
  auto it = model_->config.options.find("threads");
  if (it != model_->config.options.end()) {
    int n = std::atoi(it->second.c_str());
    if (n > 0) return n;
  }
  // A real GPU does the heavy lifting; on the host (or a simulated device) use cores.
  return device_ == "cpu" ? 4 : 2;
}

Result<Transcript> Lease::Transcribe(const std::vector<float>& pcm,
                                     TranscribeOptions options) const {
  if (!valid()) return NoLease();
  return WithSlotAndCores(*model_, *scheduler_, WantedThreads(), [&](int threads) {
    options.threads = threads;
    return model_->engine->Transcribe(pcm, options);
  });
}

Result<SpeechAudio> Lease::Synthesize(std::string_view text, SynthesizeOptions options) const {
  if (!valid()) return NoLease();
  return WithSlotAndCores(*model_, *scheduler_, WantedThreads(), [&](int threads) {
    options.threads = threads;
    return model_->engine->Synthesize(text, options);
  });
}

Result<ChatResult> Lease::Chat(const std::vector<ChatMessage>& messages, ChatOptions options,
                               const TokenCallback& on_token,
                               const CancellationToken* cancel) const {
  if (!valid()) return NoLease();
  bool engine_ran = false;  // false: refused while waiting for a slot or cores
  auto call = [&] {
    return WithSlotAndCores(*model_, *scheduler_, WantedThreads(), [&](int threads) {
      engine_ran = true;
      options.threads = threads;
      return model_->engine->Chat(messages, options, on_token, cancel);
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
