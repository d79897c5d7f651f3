#include "engines/tts/flite/flite_engine.h"

#include "engines/tts/flite/flite_runtime.h"

namespace harvis {
namespace {

constexpr const char* kDefaultVoice = "slt";
constexpr std::uint64_t kFootprintEstimate = 12 * kMiB;

std::string VoiceNames() {
  std::string out;
  for (const tts::Voice& voice : tts::FliteRuntime::Voices()) {
    out += (out.empty() ? "" : ", ") + voice.name;
  }
  return out;
}

Status UnknownVoice(std::string_view voice) {
  return Status(ErrorCode::kInvalidArgument,
                "flite: unknown voice '" + std::string(voice) + "'; valid voices: " + VoiceNames());
}

}  // namespace

Result<std::unique_ptr<Engine>> FliteEngine::Create(const ModelConfig& model) {
  if (model.kind != ModelKind::kTts) {
    return Status(
        ErrorCode::kInvalidArgument,
        "model '" + model.name + "': engine 'flite' is a text-to-speech engine; set kind: tts");
  }
  auto it = model.options.find("voice");
  const std::string requested =
      it == model.options.end() || it->second.empty() ? kDefaultVoice : it->second;
  std::string voice = tts::FliteRuntime::Canonical(requested);
  if (voice.empty()) {
    return Status(ErrorCode::kInvalidArgument, "model '" + model.name + "': options.voice: " +
                                                   UnknownVoice(requested).message());
  }
  return std::unique_ptr<Engine>(new FliteEngine(model, std::move(voice)));
}

FliteEngine::FliteEngine(ModelConfig model, std::string default_voice)
    : model_(std::move(model)), default_voice_(std::move(default_voice)) {}

FliteEngine::~FliteEngine() { Unload(); }

std::uint64_t FliteEngine::EstimateFootprint() const { return kFootprintEstimate; }

std::vector<tts::Voice> FliteEngine::ListVoices() { return tts::FliteRuntime::Voices(); }

Status FliteEngine::Load(const LoadRequest& /*request*/) {
  if (loaded_.load()) return Status::Ok();
  auto footprint = tts::FliteRuntime::Get().Acquire();
  if (!footprint.ok()) {
    return Status(footprint.status().code(),
                  "model '" + model_.name + "': " + footprint.status().message());
  }
  footprint_.store(*footprint);
  loaded_.store(true);
  return Status::Ok();
}

std::uint64_t FliteEngine::FootprintBytes() const { return loaded_.load() ? footprint_.load() : 0; }

void FliteEngine::Unload() {
  if (loaded_.exchange(false)) tts::FliteRuntime::Get().Release();
}

Status FliteEngine::SynthesizeSentences(std::string_view text, const SynthesizeOptions& options,
                                        const tts::SentenceCallback& on_sentence) {
  if (!loaded_.load()) {
    return Status(ErrorCode::kUnavailable, "flite model '" + model_.name + "' is not loaded");
  }
  if (Status st = tts::ValidateSynthesis("flite", text, options); !st.ok()) return st;
  const std::string voice =
      options.voice.empty() ? default_voice_ : tts::FliteRuntime::Canonical(options.voice);
  if (voice.empty()) return UnknownVoice(options.voice);
  for (const std::string& sentence : tts::SplitSentences(text)) {
    int native_rate = 0;
    auto pcm = tts::FliteRuntime::Get().Speak(voice, options.speed, sentence, &native_rate);
    if (!pcm.ok()) return pcm.status();
    SpeechAudio audio = tts::ToRate(std::move(pcm).value(), native_rate, options.sample_rate);
    if (!on_sentence(std::move(audio))) break;
  }
  return Status::Ok();
}

Result<SpeechAudio> FliteEngine::Synthesize(std::string_view text, const SynthesizeOptions& options) {
  auto whole = tts::Collect(options, [&](const tts::SentenceCallback& on_sentence) {
    return SynthesizeSentences(text, options, on_sentence);
  });
  return whole;
}

}  // namespace harvis
