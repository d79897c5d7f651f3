// Helpers for the voice/chat turn tests: a scripted engine whose answers, pace and
// hooks the test chooses, registered next to the simulated one.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../scheduler/scheduler_test_util.h"
#include "engines/engine.h"

namespace harvis::testing {

// What scripted engines do. Shared by the test and every scripted model.
struct Script {
  std::string transcript = "what is the weather like";  // STT answer
  std::string answer;                                    // LLM answer, one word per token
  std::chrono::milliseconds token_delay{0};
  std::function<void(size_t token_index)> before_token;  // runs before each token is sent
  bool saw_cancel = false;                               // the LLM stopped on a cancellation
  // Streaming STT (Engine::OpenTranscription): off unless `streams`. The counters are
  // read once the session is idle.
  bool streams = false;
  std::atomic<int> streams_opened{0}, streams_finished{0}, whole_transcriptions{0};
  std::atomic<size_t> last_stream_samples{0};  // fed to the newest stream
};

// A stream that hears one word of the script's transcript per 300 ms fed.
class ScriptedStream : public TranscriptionStream {
 public:
  explicit ScriptedStream(std::shared_ptr<Script> script) : script_(std::move(script)) { ++script_->streams_opened; }
  Status Feed(const std::vector<float>& pcm, int) override {
    if (finished_) return Status(ErrorCode::kFailedPrecondition, "ended");
    samples_ += pcm.size();
    script_->last_stream_samples = samples_;
    return Status::Ok();
  }
  std::string Partial() override {
    std::istringstream words(script_->transcript);
    std::string out, word;
    for (size_t heard = samples_ / 4800; heard > 0 && words >> word; --heard) out += (out.empty() ? "" : " ") + word;
    return out;
  }
  Result<Transcript> Finish() override {
    finished_ = true;
    ++script_->streams_finished;
    Transcript t;
    t.text = script_->transcript;
    t.duration_s = samples_ / 16000.0;
    return t;
  }

 private:
  std::shared_ptr<Script> script_;
  size_t samples_ = 0;
  bool finished_ = false;
};

class ScriptedEngine : public Engine {
 public:
  ScriptedEngine(ModelKind kind, std::shared_ptr<Script> script) : kind_(kind), script_(std::move(script)) {}
  std::string_view engine_name() const override { return "scripted"; }
  ModelKind kind() const override { return kind_; }
  Status Load(const LoadRequest&) override {
    loaded_ = true;
    return Status::Ok();
  }
  std::uint64_t FootprintBytes() const override { return loaded_ ? kMiB : 0; }
  void Unload() override { loaded_ = false; }

  Result<Transcript> Transcribe(const std::vector<float>& pcm, const TranscribeOptions&) override {
    ++script_->whole_transcriptions;
    Transcript t;
    t.text = script_->transcript;
    t.duration_s = pcm.size() / 16000.0;
    return t;
  }

  Result<std::unique_ptr<TranscriptionStream>> OpenTranscription(const TranscribeOptions& options) override {
    if (!script_->streams) return Engine::OpenTranscription(options);
    return std::unique_ptr<TranscriptionStream>(new ScriptedStream(script_));
  }

  Result<ChatResult> Chat(const std::vector<ChatMessage>&, const ChatOptions&, const TokenCallback& on_token,
                          const CancellationToken* cancel) override {
    ChatResult result;
    result.finish_reason = "stop";
    std::istringstream words(script_->answer);
    std::string word;
    for (size_t i = 0; words >> word; ++i) {
      if (script_->before_token) script_->before_token(i);
      std::this_thread::sleep_for(script_->token_delay);
      std::string token = (i == 0 ? "" : " ") + word;
      result.text += token;
      ++result.tokens;
      if (!on_token(token) || (cancel != nullptr && cancel->cancelled())) {
        script_->saw_cancel = true;
        result.finish_reason = "cancelled";
        break;
      }
    }
    return result;
  }

 private:
  ModelKind kind_;
  std::shared_ptr<Script> script_;
  bool loaded_ = false;
};

inline ModelConfig ScriptedModel(const std::string& name, ModelKind kind) {
  ModelConfig m = SimModel(name, kGiB, kind);
  m.engine = "scripted";
  return m;
}

// A scheduler with scripted "stt" and "llm", and a simulated "tts" (load_time as given)
// on a simulated 24 GiB GPU, with enough CPU cores for the stages to overlap.
struct TurnHarness : Harness {
  std::shared_ptr<Script> script = std::make_shared<Script>();

  Status Build(const std::string& tts_load_time = "0s", bool tts_fails = false) {
    auto s = script;
    engines.Register("scripted", [s](const ModelConfig& c) -> Result<std::unique_ptr<Engine>> {
      return std::unique_ptr<Engine>(new ScriptedEngine(c.kind, s));
    });
    ModelConfig tts = SimModel("tts", kGiB, ModelKind::kTts);
    tts.options["load_time"] = tts_load_time;
    if (tts_fails) tts.options["fail_load"] = "1";
    SchedulerOptions options;
    options.cpu_cores = 4;
    SchedulerDeps deps;
    deps.clock = std::make_shared<SteadyClock>();
    return Harness::Build({ScriptedModel("stt", ModelKind::kStt), ScriptedModel("llm", ModelKind::kLlm), tts},
                          {SimGpu("gpu0", 24 * kGiB), Host(4 * kGiB)}, options, deps);
  }

  int TotalLeases() const {
    int n = 0;
    for (const auto& m : scheduler->ListModels()) n += m.leases;
    return n;
  }
};

}  // namespace harvis::testing
