#include "pipeline/sentence_speaker.h"

namespace harvis::pipeline {

SentenceSpeaker::SentenceSpeaker(LeaseSource lease, SynthesizeOptions options, Deliver deliver,
                                 CancellationToken& cancel)
    : lease_source_(std::move(lease)), options_(std::move(options)), deliver_(std::move(deliver)), cancel_(cancel) {
  thread_ = std::thread([this] { Run(); });
}

SentenceSpeaker::~SentenceSpeaker() { (void)Finish(); }

void SentenceSpeaker::Push(std::string sentence) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(sentence));
  }
  cv_.notify_one();
}

Status SentenceSpeaker::Finish() {
  {
    std::lock_guard lk(mu_);
    closed_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  return error_;
}

void SentenceSpeaker::Run() {
  for (size_t index = 0;; ++index) {
    std::string sentence;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return closed_ || !queue_.empty(); });
      if (queue_.empty() || cancel_.cancelled()) return;
      sentence = std::move(queue_.front());
      queue_.pop_front();
    }
    Status st;
    try {
      st = Speak(index, sentence);
    } catch (const std::exception& e) {  // this thread must never end the process
      st = Status(ErrorCode::kInternal, std::string("speech synthesis failed: ") + e.what());
    }
    if (!st.ok()) {
      error_ = st;
      cancel_.Cancel();
      return;
    }
    if (cancel_.cancelled()) return;
  }
}

// Synthesizes one sentence and delivers it; a client that is gone cancels the turn.
Status SentenceSpeaker::Speak(size_t index, const std::string& sentence) {
  if (lease_ == nullptr) {
    auto lease = lease_source_();
    if (!lease.ok()) return lease.status();
    lease_ = *lease;
  }
  auto audio = lease_->Synthesize(sentence, options_);
  if (!audio.ok()) return audio.status();
  if (!deliver_(index, sentence, *audio)) cancel_.Cancel();
  return Status::Ok();
}

}  // namespace harvis::pipeline
