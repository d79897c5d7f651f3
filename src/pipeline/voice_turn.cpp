#include "pipeline/voice_turn.h"

#include <mutex>

#include "pipeline/chat_turn.h"
#include "pipeline/sentence_speaker.h"
#include "scheduler/scheduler.h"

namespace harvis::pipeline {
namespace {

enum Stage : size_t { kStt = 0, kLlm = 1, kTts = 2 };

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

VoiceTurn::VoiceTurn(Turn turn, VoiceTurnRequest request)
    : turn_(std::move(turn)), request_(std::move(request)), started_(std::chrono::steady_clock::now()) {}

VoiceTurn::~VoiceTurn() = default;

Result<std::unique_ptr<VoiceTurn>> VoiceTurn::Start(Scheduler& scheduler, VoiceTurnRequest request) {
  Turn turn = scheduler.BeginTurn({request.stt_model, request.llm_model, request.tts_model});
  std::unique_ptr<VoiceTurn> vt(new VoiceTurn(std::move(turn), std::move(request)));
  auto stt = vt->turn_.Stage(kStt);
  if (!stt.ok()) return stt.status();
  auto transcript = TranscribeSpeech(**stt, vt->request_.pcm, vt->request_.language);
  if (!transcript.ok()) return transcript.status();
  vt->transcript_ = std::move(transcript).value();
  vt->timings_.stt_s = SecondsSince(vt->started_);
  return vt;
}

Result<VoiceTurnResult> VoiceTurn::Stream(VoiceTurnSink& sink) {
  auto llm = turn_.Stage(kLlm);  // prewarms the TTS model while the LLM writes
  if (!llm.ok()) return llm.status();

  std::mutex sink_mu;  // serializes sink calls: tokens (this thread), audio (speaker)
  CancellationToken cancel;
  SentenceSplitter splitter(request_.splitter);
  size_t sentences = 0;

  SynthesizeOptions options;
  options.voice = request_.voice;
  // The speaker leases the (prewarmed) TTS model itself, at the first sentence.
  SentenceSpeaker speaker([this] { return turn_.Stage(kTts); }, options,
                          [&](size_t index, const std::string& sentence, const SpeechAudio& audio) {
                            std::lock_guard lk(sink_mu);
                            if (timings_.first_audio_s < 0) timings_.first_audio_s = SecondsSince(started_);
                            return sink.Audio(index, sentence, audio);
                          },
                          cancel);
  auto speak = [&](std::vector<std::string> batch) {
    for (auto& sentence : batch) speaker.Push(std::move(sentence));
    sentences += batch.size();
  };
  auto on_token = [&](std::string_view token) {
    {
      std::lock_guard lk(sink_mu);
      if (timings_.first_token_s < 0) timings_.first_token_s = SecondsSince(started_);
      if (!sink.Token(token)) cancel.Cancel();
    }
    if (!cancel.cancelled()) speak(splitter.Push(token));
    return !cancel.cancelled();
  };

  std::vector<ChatMessage> messages = request_.history;
  messages.push_back({"user", transcript_.text});
  auto chat = (*llm)->Chat(messages, ChatOptions{}, on_token, &cancel);
  if (chat.ok() && !cancel.cancelled()) speak(splitter.Finish());
  Status spoken = speaker.Finish();
  timings_.total_s = SecondsSince(started_);

  if (!spoken.ok()) return spoken;
  if (!chat.ok()) return chat.status();
  VoiceTurnResult result;
  result.answer = chat->text;
  result.sentences = sentences;
  result.cancelled = cancel.cancelled();
  result.timings = timings_;
  return result;
}

}  // namespace harvis::pipeline
