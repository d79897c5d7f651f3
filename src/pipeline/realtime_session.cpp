#include "pipeline/realtime_session.h"

#include <random>

#include "pipeline/chat_turn.h"
#include "pipeline/sentence_speaker.h"
#include "scheduler/scheduler.h"

namespace harvis::pipeline {
namespace {

enum Stage : size_t { kStt = 0, kLlm = 1, kTts = 2 };
constexpr int64_t kSamplesPerMs = VoiceActivityDetector::kSampleRate / 1000;
constexpr int64_t kMinCommitMs = 100;  // as OpenAI: a shorter buffer is an error
constexpr int64_t kMaxStreamMs = 60 * 1000;  // the longest utterance fed to a stream

std::string RandomHex(int digits) {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += kHex[rng() % 16];
  return out;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool SameVad(const VadOptions& a, const VadOptions& b) {
  return a.threshold == b.threshold && a.prefix_padding_ms == b.prefix_padding_ms &&
         a.silence_duration_ms == b.silence_duration_ms && a.min_speech_ms == b.min_speech_ms;
}

}  // namespace

struct RealtimeSession::Job {
  enum Kind { kFeed, kEndStream, kPartial, kSpeculative, kFinal, kResponse } kind;
  std::string item_id;  // the user item (partial, final) or the item a response follows
  std::vector<float> pcm;
  std::shared_ptr<Response> response;
  uint64_t generation = 0;  // kSpeculative: Speculation::generation
  uint64_t stream_id = 0;   // kFeed, kSpeculative, kFinal: the stream that holds this audio
  bool first = false;       // kFeed: opens the stream
};

struct RealtimeSession::Response {
  std::string id;
  bool automatic = false;  // created by a VAD commit, not by response.create
  CancellationToken cancel;
  std::string reason;  // why it was cancelled; guarded by mu_
};

RealtimeSession::RealtimeSession(Scheduler& scheduler, RealtimeConfig config, RealtimeEventSink& sink)
    : scheduler_(scheduler), sink_(sink), config_(std::move(config)), id_prefix_(RandomHex(12)) {
  ResetVadLocked();  // no other thread yet
  worker_ = std::thread([this] { Work(); });
}

RealtimeSession::~RealtimeSession() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    jobs_.clear();
    if (response_) response_->cancel.Cancel();
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();  // the worker ends the turn: every lease is released
}

RealtimeConfig RealtimeSession::config() const {
  std::lock_guard lk(mu_);
  return config_;
}

void RealtimeSession::Update(RealtimeConfig config) {
  std::lock_guard lk(mu_);
  const bool vad_changed = !SameVad(config.vad, config_.vad) || config.server_vad != config_.server_vad;
  if (config.stt_model != config_.stt_model) stt_streams_ = Streams::kUnknown;
  config_ = std::move(config);
  if (vad_changed) ResetVadLocked();
}

std::vector<ChatMessage> RealtimeSession::History() const {
  std::lock_guard lk(mu_);
  return history_;
}

bool RealtimeSession::responding() const {
  std::lock_guard lk(mu_);
  return response_ != nullptr;
}

void RealtimeSession::ResetVadLocked() {
  StopStreamLocked();
  vad_ = std::make_unique<VoiceActivityDetector>(config_.vad);
  vad_origin_ms_ = StreamMs();
  speech_item_.clear();
}

void RealtimeSession::Append(const std::vector<float>& pcm) {
  std::lock_guard lk(mu_);
  if (static_cast<int64_t>(buffer_.size() + pcm.size()) > kMaxBufferMs * kSamplesPerMs) {
    EmitError(ErrorCode::kPayloadTooLarge, "input_audio_buffer_too_large",
              "the input audio buffer holds more than 10 minutes; commit or clear it");
    return;
  }
  buffer_.insert(buffer_.end(), pcm.begin(), pcm.end());
  samples_ += static_cast<int64_t>(pcm.size());
  if (!config_.server_vad) {  // the whole buffer will be committed: stream all of it
    if (stream_id_ == 0) StartStreamLocked(buffer_start_);
    else FeedStreamLocked(pcm);
    return;
  }
  FeedStreamLocked(pcm);  // before the VAD's events: a commit below includes this audio
  for (const VadEvent& e : vad_->Push(pcm)) {
    if (e.kind == VadEvent::kSpeechStarted) OnSpeechStarted(vad_origin_ms_ + e.audio_ms);
    else OnSpeechStopped(vad_origin_ms_ + e.audio_ms);
  }
  SpeculateLocked();
  const int64_t now = StreamMs();
  // In a pause the speculation transcribes the same audio: no partial then. A stream
  // gives its own partials.
  if (!speech_item_.empty() && stt_streams_ != Streams::kYes && now >= next_partial_ms_ &&
      vad_->silence_ms() == 0) {
    next_partial_ms_ = now + config_.partial_interval_ms;
    const size_t from = std::min(BufferIndex(speech_start_ms_), buffer_.size());
    EnqueueLocked({Job::kPartial, speech_item_, std::vector<float>(buffer_.begin() + from, buffer_.end()), nullptr});
  }
  if (speech_item_.empty()) {  // silent: keep only what a coming start could pad with
    const int64_t keep = (config_.vad.prefix_padding_ms + 2 * VoiceActivityDetector::kFrameMs) * kSamplesPerMs;
    if (static_cast<int64_t>(buffer_.size()) > keep) {
      const size_t drop = buffer_.size() - static_cast<size_t>(keep);
      buffer_.erase(buffer_.begin(), buffer_.begin() + drop);
      buffer_start_ += static_cast<int64_t>(drop);
    }
  }
}

// During a pause in the speech, queues the final transcription of what was said so far;
// voice coming back makes it stale.
void RealtimeSession::SpeculateLocked() {
  if (speech_item_.empty()) return;
  const int pause_ms = vad_->silence_ms();
  if (pause_ms == 0) {
    if (speculation_.item == speech_item_ && speculation_.valid) {
      speculation_.valid = false;
      // The speculation ended the stream: the utterance starts over with all of it.
      if (stream_id_ == 0 && CanStreamLocked()) StartStreamLocked(speech_start_ms_ * kSamplesPerMs);
    }
    return;
  }
  // Short enough to finish within the rest of the pause, long enough to skip the gaps
  // between words.
  const int speculate_after_ms = std::max(100, config_.vad.silence_duration_ms / 3);
  if (pause_ms < speculate_after_ms || (speculation_.item == speech_item_ && speculation_.valid)) return;
  speculation_ = Speculation{speech_item_, ++speculation_generation_, true, false, std::nullopt};
  const size_t from = std::min(BufferIndex(speech_start_ms_), buffer_.size());
  Job job{Job::kSpeculative, speech_item_, std::vector<float>(buffer_.begin() + from, buffer_.end()), nullptr};
  job.generation = speculation_.generation;
  job.stream_id = stream_id_;
  stream_id_ = 0;  // the speculation ends the stream
  EnqueueLocked(std::move(job));
}

void RealtimeSession::OnSpeechStarted(int64_t audio_ms) {
  speech_item_ = NewId("item");
  speech_start_ms_ = audio_ms;
  StartStreamLocked(audio_ms * kSamplesPerMs);
  next_partial_ms_ = StreamMs() + config_.partial_interval_ms;
  RealtimeEvent e{"input_audio_buffer.speech_started"};
  e.item_id = speech_item_;
  e.audio_ms = audio_ms;
  Emit(std::move(e));
  if (response_ && config_.interrupt_response) {  // barge-in
    response_->reason = "turn_detected";
    response_->cancel.Cancel();
  }
}

void RealtimeSession::OnSpeechStopped(int64_t audio_ms) {
  if (speech_item_.empty()) return;  // committed by hand while speaking
  RealtimeEvent e{"input_audio_buffer.speech_stopped"};
  e.item_id = speech_item_;
  e.audio_ms = audio_ms;
  Emit(std::move(e));
  std::string item = std::move(speech_item_);
  speech_item_.clear();
  if (speculation_.item == item) speculation_.vad_commit = speculation_.valid;
  CommitLocked(item, speech_start_ms_);
  // A response cancelled by this very speech may still be winding down.
  if (config_.create_response && (!response_ || response_->cancel.cancelled())) QueueResponseLocked(item, true);
}

void RealtimeSession::Commit() {
  std::lock_guard lk(mu_);
  if (static_cast<int64_t>(buffer_.size()) < kMinCommitMs * kSamplesPerMs) {
    EmitError(ErrorCode::kInvalidArgument, "input_audio_buffer_commit_empty",
              "the input audio buffer holds less than 100 ms of audio");
    return;
  }
  std::string item = speech_item_.empty() ? NewId("item") : speech_item_;
  speech_item_.clear();
  speculation_.valid = false;  // a manual commit's audio is the whole buffer
  CommitLocked(item, buffer_start_ / kSamplesPerMs);
}

// `item` joins the conversation after the newest one: conversation.item.created.
void RealtimeSession::AddItemLocked(const std::string& item, const char* role) {
  RealtimeEvent created{"conversation.item.created"};
  created.item_id = item;
  created.previous_item_id = last_item_;
  created.role = role;
  Emit(std::move(created));
  last_item_ = item;
}

// The buffer from `from_ms` becomes user item `item`, transcribed by the worker.
void RealtimeSession::CommitLocked(std::string item, int64_t from_ms) {
  const size_t from = std::min(BufferIndex(from_ms), buffer_.size());
  std::vector<float> pcm(buffer_.begin() + from, buffer_.end());
  // The stream has this very audio when it started where the commit starts.
  const uint64_t stream = stream_id_ != 0 && stream_from_ == buffer_start_ + static_cast<int64_t>(from) ? stream_id_ : 0;
  if (stream != 0) stream_id_ = 0;  // the final transcription ends it
  else StopStreamLocked();
  buffer_.clear();
  buffer_start_ = samples_;
  RealtimeEvent committed{"input_audio_buffer.committed"};
  committed.item_id = item;
  committed.previous_item_id = last_item_;
  Emit(committed);
  AddItemLocked(item, "user");
  Job job{Job::kFinal, item, std::move(pcm), nullptr};
  job.stream_id = stream;
  EnqueueLocked(std::move(job));
}

void RealtimeSession::StartStreamLocked(int64_t from) {
  StopStreamLocked();
  if (!CanStreamLocked()) return;
  const size_t i = std::min(static_cast<size_t>(std::max<int64_t>(0, from - buffer_start_)), buffer_.size());
  stream_id_ = ++next_stream_id_;
  stream_from_ = buffer_start_ + static_cast<int64_t>(i);
  Job job{Job::kFeed, speech_item_, std::vector<float>(buffer_.begin() + i, buffer_.end()), nullptr};
  job.stream_id = stream_id_;
  job.first = true;
  EnqueueLocked(std::move(job));
}

void RealtimeSession::FeedStreamLocked(const std::vector<float>& pcm) {
  if (stream_id_ == 0) return;
  // A decoder is not held for ever: a longer utterance is transcribed whole at the commit.
  if (samples_ - stream_from_ > kMaxStreamMs * kSamplesPerMs) return StopStreamLocked();
  Job job{Job::kFeed, speech_item_, pcm, nullptr};
  job.stream_id = stream_id_;
  EnqueueLocked(std::move(job));
}

void RealtimeSession::StopStreamLocked() {
  if (stream_id_ == 0) return;
  stream_id_ = 0;
  EnqueueLocked({Job::kEndStream, "", {}, nullptr});
}

void RealtimeSession::Clear() {
  std::lock_guard lk(mu_);
  StopStreamLocked();
  buffer_.clear();
  buffer_start_ = samples_;
  ResetVadLocked();
  Emit(RealtimeEvent{"input_audio_buffer.cleared"});
}

void RealtimeSession::CreateResponse() {
  std::lock_guard lk(mu_);
  if (response_ && !response_->cancel.cancelled()) {
    EmitError(ErrorCode::kConflict, "conversation_already_has_active_response",
              "a response is already in progress; cancel it first");
    return;
  }
  QueueResponseLocked(last_item_, false);
}

void RealtimeSession::QueueResponseLocked(const std::string& for_item, bool automatic) {
  response_ = std::make_shared<Response>();
  response_->id = NewId("resp");
  response_->automatic = automatic;
  EnqueueLocked({Job::kResponse, for_item, {}, response_});
}

void RealtimeSession::CancelResponse() {
  std::lock_guard lk(mu_);
  if (!response_ || response_->cancel.cancelled()) {
    EmitError(ErrorCode::kInvalidArgument, "response_cancel_not_active", "there is no response in progress to cancel");
    return;
  }
  response_->reason = "client_cancelled";
  response_->cancel.Cancel();
}

void RealtimeSession::EnqueueLocked(Job job) {
  if (stopping_) return;
  // Transcriptions of the same speech not yet started are stale once a newer one is
  // queued: dropping them keeps the worker free for the final transcript.
  // (A queued speculation stays when the final comes: the final will use its result.)
  const auto stale = [&job](const Job& queued) {
    return queued.item_id == job.item_id && job.kind != Job::kResponse &&
           (queued.kind == Job::kPartial || (queued.kind == Job::kSpeculative && job.kind == Job::kSpeculative));
  };
  jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(), stale), jobs_.end());
  jobs_.push_back(std::move(job));
  cv_.notify_one();
}

void RealtimeSession::Emit(RealtimeEvent event) {
  std::lock_guard lk(emit_mu_);
  sink_.Emit(std::move(event));
}

void RealtimeSession::EmitError(ErrorCode code, const std::string& error_code, const std::string& message) {
  RealtimeEvent e{"error"};
  e.error = Status(code, message);
  e.error_code = error_code;
  Emit(std::move(e));
}

std::string RealtimeSession::NewId(const char* prefix) {
  std::lock_guard lk(emit_mu_);  // ids are taken by the client thread and the worker
  return std::string(prefix) + "_" + id_prefix_ + std::to_string(++next_id_);
}

void RealtimeSession::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) break;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      if (job.kind == Job::kFeed) RunFeed(job);
      else if (job.kind == Job::kEndStream) stream_.reset();
      else if (job.kind == Job::kPartial) RunPartial(job);
      else if (job.kind == Job::kSpeculative) RunSpeculative(job);
      else if (job.kind == Job::kFinal) RunFinal(job);
      else RunResponse(job);
    } catch (const std::exception& e) {  // this thread must never end the process
      EmitError(ErrorCode::kInternal, "server_error", std::string("realtime session failed: ") + e.what());
      if (job.response) FinishResponse(job.response);
    }
    // A turn whose speech was cleared (or whose VAD was reset) never gets its final
    // transcription: an idle session must not keep its models leased.
    if (job.kind == Job::kPartial || job.kind == Job::kSpeculative || job.kind == Job::kEndStream) {
      bool idle = false;
      {
        std::lock_guard lk(mu_);
        idle = jobs_.empty() && speech_item_.empty() && !response_ && stream_id_ == 0;
      }
      if (idle) EndTurn();  // the next job begins a new turn
    }
  }
  EndTurn();  // releases the leases on this thread, which owns the Turn
}

void RealtimeSession::EndTurn() {
  stream_.reset();  // its decoder and slot first: it uses the turn's STT lease
  turn_.reset();
}

void RealtimeSession::RunFeed(const Job& job) {
  if (job.first) {
    stream_.reset();
    const RealtimeConfig config = this->config();
    auto stt = Stage(kStt, config);
    if (!stt.ok()) return;  // the commit will report it
    TranscribeOptions options;
    options.language = config.language;
    auto opened = (*stt)->OpenTranscription(options);
    if (opened.ok() || opened.status().code() != ErrorCode::kResourceExhausted) {
      std::lock_guard lk(mu_);  // busy slots are a passing state; anything else says the engine cannot
      stt_streams_ = opened.ok() ? Streams::kYes : Streams::kNo;
    }
    if (!opened.ok()) return;
    stream_ = std::move(opened).value();
    worker_stream_id_ = job.stream_id;
    stream_fed_ms_ = 0;
    next_stream_partial_ms_ = this->config().partial_interval_ms;
  }
  LeasedTranscription* stream = StreamFor(job.stream_id);
  if (stream == nullptr) return;
  if (!stream->Feed(job.pcm).ok()) {
    stream_.reset();  // the commit transcribes the whole audio instead
    return;
  }
  stream_fed_ms_ += static_cast<int64_t>(job.pcm.size()) / kSamplesPerMs;
  if (!job.item_id.empty() && stream_fed_ms_ >= next_stream_partial_ms_) {
    next_stream_partial_ms_ = stream_fed_ms_ + config().partial_interval_ms;
    EmitPartial(job.item_id, stream->Partial());
  }
}

LeasedTranscription* RealtimeSession::StreamFor(uint64_t stream_id) {
  return stream_ && stream_id != 0 && worker_stream_id_ == stream_id ? stream_.get() : nullptr;
}

// Ends the worker's stream for `stream_id`: its transcript (kUnprocessable when nothing
// was recognized, as TranscribeSpeech); nullopt when it has no such stream.
std::optional<Result<Transcript>> RealtimeSession::FinishStream(uint64_t stream_id) {
  LeasedTranscription* stream = StreamFor(stream_id);
  if (stream == nullptr) return std::nullopt;
  Result<Transcript> transcript = RequireSpeech(stream->Finish());
  stream_.reset();
  return transcript;
}

Result<const Lease*> RealtimeSession::Stage(size_t stage, const RealtimeConfig& config) {
  if (!turn_) {
    turn_.emplace(scheduler_.BeginTurn({config.stt_model, config.llm_model, config.audio_output ? config.tts_model : ""}));
  }
  return turn_->Stage(stage);
}

// The final transcript of a job's audio: from its stream when the worker has it, else
// by transcribing the whole audio.
Result<Transcript> RealtimeSession::Transcribe(const Job& job) {
  if (auto streamed = FinishStream(job.stream_id)) return std::move(*streamed);
  const RealtimeConfig config = this->config();
  auto stt = Stage(kStt, config);
  return stt.ok() ? TranscribeSpeech(**stt, job.pcm, config.language) : stt.status();
}

// Partial transcriptions are best effort: a failure only means no delta this time.
void RealtimeSession::RunPartial(const Job& job) {
  const RealtimeConfig config = this->config();
  auto stt = Stage(kStt, config);
  if (!stt.ok()) return;
  TranscribeOptions options;
  options.language = config.language;
  auto transcript = (*stt)->Transcribe(job.pcm, options);
  if (transcript.ok()) EmitPartial(job.item_id, transcript->text);
}

void RealtimeSession::EmitPartial(const std::string& item, const std::string& hypothesis) {
  if (partial_item_ != item) partial_item_ = item, partial_text_.clear();
  const std::string text = Trim(hypothesis);
  // Deltas only ever append: a hypothesis that rewrites what was sent waits for `completed`.
  if (text.size() <= partial_text_.size() || text.compare(0, partial_text_.size(), partial_text_) != 0) return;
  RealtimeEvent e{"conversation.item.input_audio_transcription.delta"};
  e.item_id = item;
  e.text = text.substr(partial_text_.size());
  partial_text_ = text;
  Emit(std::move(e));
}

void RealtimeSession::RunSpeculative(const Job& job) {
  {
    std::lock_guard lk(mu_);
    if (speculation_.generation != job.generation || !speculation_.valid) return;  // voice came back
  }
  Result<Transcript> transcript = Transcribe(job);
  std::lock_guard lk(mu_);
  if (speculation_.generation == job.generation) speculation_.transcript = std::move(transcript);
}

void RealtimeSession::RunFinal(const Job& job) {
  std::optional<Result<Transcript>> early;
  {
    std::lock_guard lk(mu_);
    // The speech ended in the pause that was transcribed: only silence came after it.
    if (speculation_.item == job.item_id && speculation_.vad_commit && speculation_.transcript) {
      early = std::move(speculation_.transcript);
    }
    if (speculation_.item == job.item_id) speculation_ = Speculation{};  // not the next speech's
  }
  Result<Transcript> transcript = early ? std::move(*early) : Transcribe(job);
  std::string sent = partial_item_ == job.item_id ? partial_text_ : "";
  partial_item_.clear();
  partial_text_.clear();
  if (!transcript.ok() && transcript.status().code() != ErrorCode::kUnprocessable) {
    RealtimeEvent failed{"conversation.item.input_audio_transcription.failed"};
    failed.item_id = job.item_id;
    failed.error = transcript.status();
    Emit(std::move(failed));
    empty_item_ = job.item_id;
  } else {
    const std::string text = transcript.ok() ? Trim(transcript->text) : "";  // kUnprocessable: no speech
    if (text.size() > sent.size() && text.compare(0, sent.size(), sent) == 0) {
      RealtimeEvent delta{"conversation.item.input_audio_transcription.delta"};
      delta.item_id = job.item_id;
      delta.text = text.substr(sent.size());
      Emit(std::move(delta));
    }
    RealtimeEvent done{"conversation.item.input_audio_transcription.completed"};
    done.item_id = job.item_id;
    done.text = text;
    Emit(std::move(done));
    if (text.empty()) empty_item_ = job.item_id;
    else {
      std::lock_guard lk(mu_);
      history_.push_back({"user", text});
    }
  }
  bool answering;
  {
    std::lock_guard lk(mu_);
    answering = response_ != nullptr;
  }
  if (!answering) EndTurn();  // nothing will answer it now: hold no lease while idle
}

void RealtimeSession::RunResponse(const Job& job) {
  Response& response = *job.response;
  // A VAD commit in which nothing was said gets no answer.
  if (response.automatic && job.item_id == empty_item_) {
    FinishResponse(job.response);
    return;
  }
  const RealtimeConfig config = this->config();
  RealtimeEvent created{"response.created"};
  created.response_id = response.id;
  Emit(std::move(created));
  Answer(response, config);
  FinishResponse(job.response);
}

// What a response produced: the text the user heard (or read), and how it ended.
struct RealtimeSession::Outcome {
  std::string text;
  Status status;
  bool cancelled = false;
};

void RealtimeSession::Answer(Response& response, const RealtimeConfig& config) {
  const std::string item = NewId("item");
  {
    std::lock_guard lk(mu_);
    RealtimeEvent added{"response.output_item.added"};
    added.response_id = response.id;
    added.item_id = item;
    Emit(added);
    AddItemLocked(item, "assistant");
  }
  Conclude(response, config, item, Generate(response, config, item));
}

// Runs the LLM and, with audio output, speaks each sentence as soon as it is complete.
RealtimeSession::Outcome RealtimeSession::Generate(Response& response, const RealtimeConfig& config,
                                                   const std::string& item) {
  Outcome out;
  if (response.cancel.cancelled()) {
    out.cancelled = true;
    return out;
  }
  auto llm = Stage(kLlm, config);
  if (!llm.ok()) {
    out.status = llm.status();
    return out;
  }
  std::vector<ChatMessage> messages;
  if (!config.instructions.empty()) messages.push_back({"system", config.instructions});
  for (auto& m : History()) messages.push_back(std::move(m));

  std::string spoken, streamed;  // spoken: by the speaker thread, read after Finish()
  SentenceSplitter splitter(config.splitter);
  SynthesizeOptions synth;
  synth.voice = config.voice;
  std::optional<SentenceSpeaker> speaker;
  if (config.audio_output) {
    auto deliver = [&](size_t, const std::string& sentence, const SpeechAudio& audio) {
      if (response.cancel.cancelled()) return false;  // barge-in: not a sample more
      std::string piece = (spoken.empty() ? "" : " ") + sentence;
      RealtimeEvent a{"response.audio.delta"};
      a.response_id = response.id, a.item_id = item, a.audio = audio;
      Emit(std::move(a));
      RealtimeEvent t{"response.audio_transcript.delta"};
      t.response_id = response.id, t.item_id = item, t.text = piece;
      Emit(std::move(t));
      spoken += piece;
      return true;
    };
    speaker.emplace([&] { return Stage(kTts, config); }, synth, deliver, response.cancel);
  }
  auto on_token = [&](std::string_view token) {
    if (response.cancel.cancelled()) return false;
    streamed += token;
    if (speaker) {
      for (auto& s : splitter.Push(token)) speaker->Push(std::move(s));
    } else {
      RealtimeEvent t{"response.text.delta"};
      t.response_id = response.id, t.item_id = item, t.text = std::string(token);
      Emit(std::move(t));
    }
    return true;
  };
  ChatOptions options;
  options.temperature = config.temperature;
  options.max_tokens = config.max_output_tokens;
  auto chat = (*llm)->Chat(messages, options, on_token, &response.cancel);
  if (speaker && chat.ok() && !response.cancel.cancelled()) {
    for (auto& s : splitter.Finish()) speaker->Push(std::move(s));
  }
  Status spoken_status = speaker ? speaker->Finish() : Status::Ok();
  out.status = !chat.ok() ? chat.status() : spoken_status;
  out.cancelled = out.status.ok() && response.cancel.cancelled();
  // What the user heard (or read) is what the conversation remembers.
  out.text = out.status.ok() && !out.cancelled ? chat->text : (config.audio_output ? spoken : streamed);
  return out;
}

// Closes the output item and the response, and records the answer in the history.
void RealtimeSession::Conclude(Response& response, const RealtimeConfig& config, const std::string& item,
                               const Outcome& out) {
  if (config.audio_output) {
    RealtimeEvent audio_done{"response.audio.done"};
    audio_done.response_id = response.id, audio_done.item_id = item;
    Emit(std::move(audio_done));
  }
  RealtimeEvent finished{config.audio_output ? "response.audio_transcript.done" : "response.text.done"};
  finished.response_id = response.id, finished.item_id = item, finished.text = out.text;
  Emit(std::move(finished));
  RealtimeEvent done{"response.done"};
  done.response_id = response.id;
  done.item_id = item;
  done.text = out.text;
  done.text_only = !config.audio_output;
  std::lock_guard lk(mu_);
  if (!Trim(out.text).empty()) history_.push_back({"assistant", out.text});
  if (!out.status.ok()) {
    done.status = "failed";
    done.error = out.status;
  } else if (out.cancelled) {
    done.status = "cancelled";
    done.reason = response.reason.empty() ? "client_cancelled" : response.reason;
  } else {
    done.status = "completed";
  }
  Emit(std::move(done));
}

// Ends the response's turn (its leases) and lets the next response be created.
void RealtimeSession::FinishResponse(const std::shared_ptr<Response>& response) {
  EndTurn();
  std::lock_guard lk(mu_);
  if (response_ == response) response_.reset();
}

}  // namespace harvis::pipeline
