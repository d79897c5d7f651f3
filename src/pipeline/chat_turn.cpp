#include "pipeline/chat_turn.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "pipeline/sentence_splitter.h"
#include "scheduler/scheduler.h"

namespace harvis::pipeline {
namespace {

// The turn's pipeline: the models it uses, in order.
std::vector<std::string> Pipeline(const ChatTurnRequest& r) {
  std::vector<std::string> stages;
  if (!r.pcm.empty()) stages.push_back(r.stt_model);
  stages.push_back(r.llm_model);
  if (!r.text_only) stages.push_back(r.tts_model);
  return stages;
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

ChatTurn::ChatTurn(Scheduler& scheduler, Turn turn, ChatTurnRequest request)
    : scheduler_(scheduler), turn_(std::move(turn)), request_(std::move(request)) {}

ChatTurn::~ChatTurn() {
  turn_.End();
  if (!request_.low_vram) return;
  for (const std::string& model : turn_.pipeline()) {
    Status s = scheduler_.Unload(model, /*force=*/false);
    if (!s.ok()) spdlog::debug("low_vram: '{}' stays loaded: {}", model, s.message());
  }
}

size_t ChatTurn::StageOf(const std::string& model) const {
  const auto& stages = turn_.pipeline();
  return static_cast<size_t>(std::find(stages.begin(), stages.end(), model) - stages.begin());
}

Result<std::unique_ptr<ChatTurn>> ChatTurn::Start(Scheduler& scheduler, ChatTurnRequest request) {
  Turn turn = scheduler.BeginTurn(Pipeline(request));
  std::unique_ptr<ChatTurn> ct(new ChatTurn(scheduler, std::move(turn), std::move(request)));
  ChatTurnRequest& r = ct->request_;
  auto first = ct->turn_.Stage(0);
  if (!first.ok()) return first.status();
  if (!r.pcm.empty()) {
    auto transcript = TranscribeSpeech(**first, r.pcm, r.language);
    if (!transcript.ok()) return transcript.status();
    r.message = transcript->text;
    r.pcm = {};
  }
  return ct;
}

Result<ChatTurnResult> ChatTurn::Run(const ChatTurnCallbacks& callbacks) {
  auto llm = turn_.Stage(StageOf(request_.llm_model));  // prewarms the TTS model
  if (!llm.ok()) return llm.status();
  std::vector<ChatMessage> messages = request_.history;
  messages.push_back({"user", request_.message});
  CancellationToken cancel;
  auto chat = (*llm)->Chat(messages, ChatOptions{}, [&](std::string_view token) {
    if (callbacks.on_token && !callbacks.on_token(token)) cancel.Cancel();
    return !cancel.cancelled();
  }, &cancel);
  if (!chat.ok()) return chat.status();
  if (cancel.cancelled()) return Status(ErrorCode::kUnavailable, "the client went away");

  ChatTurnResult result;
  result.answer = chat->text;
  result.history = std::move(messages);
  result.history.push_back({"assistant", chat->text});
  if (request_.text_only) return result;
  if (callbacks.on_generating_audio && !callbacks.on_generating_audio()) {
    return Status(ErrorCode::kUnavailable, "the client went away");
  }
  auto tts = turn_.Stage(StageOf(request_.tts_model));
  if (!tts.ok()) return tts.status();
  SynthesizeOptions options;
  options.voice = request_.voice;
  auto speech = SpeakText(**tts, chat->text, options);
  if (!speech.ok()) return speech.status();
  result.speech = std::move(speech).value();
  return result;
}

Result<Transcript> TranscribeSpeech(const Lease& stt, const std::vector<float>& pcm, const std::string& language) {
  TranscribeOptions options;
  options.language = language;
  return RequireSpeech(stt.Transcribe(pcm, options));
}

Result<Transcript> RequireSpeech(Result<Transcript> transcript) {
  if (transcript.ok() && IsBlank(transcript->text)) {
    return Status(ErrorCode::kUnprocessable, "no speech was recognized in the audio");
  }
  return transcript;
}

Result<std::optional<SpeechAudio>> SpeakText(const Lease& tts, std::string_view text, const SynthesizeOptions& options,
                                             std::uint64_t max_bytes) {
  SentenceSplitter splitter;
  std::vector<std::string> sentences = splitter.Push(text);
  for (auto& s : splitter.Finish()) sentences.push_back(std::move(s));
  std::optional<SpeechAudio> out;
  for (const std::string& sentence : sentences) {
    auto audio = tts.Synthesize(sentence, options);
    if (!audio.ok()) return audio.status();
    if (!out) {
      out = std::move(audio).value();
    } else {
      out->pcm.insert(out->pcm.end(), audio->pcm.begin(), audio->pcm.end());
    }
    if (out->pcm.size() * sizeof(std::int16_t) > max_bytes) {
      return Status(ErrorCode::kPayloadTooLarge, "the speech for this text passes " + FormatBytes(max_bytes) +
                                                     "; send shorter text or a higher speed");
    }
  }
  return out;
}

}  // namespace harvis::pipeline
