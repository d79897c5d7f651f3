#include "engines/tts/espeak/espeak_engine.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "engines/tts/espeak/espeak_runtime.h"

namespace harvis {
namespace {

constexpr const char* kDefaultVoice = "en-us";
// Used by EstimateFootprint when the data folder is not configured: a little more than
// the English data of espeak-ng 1.51 (phoneme tables 0.65 MB + en_dict 0.17 MB).
constexpr std::uint64_t kEnglishDataEstimate = 1 * kMiB;

std::string OptionOr(const ModelConfig& model, const std::string& key,
                     const std::string& fallback) {
  auto it = model.options.find(key);
  return it == model.options.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

Result<std::unique_ptr<Engine>> EspeakEngine::Create(const ModelConfig& model) {
  if (model.kind != ModelKind::kTts) {
    return Status(
        ErrorCode::kInvalidArgument,
        "model '" + model.name + "': engine 'espeak' is a text-to-speech engine; set kind: tts");
  }
  return std::unique_ptr<Engine>(new EspeakEngine(model));
}

EspeakEngine::EspeakEngine(ModelConfig model)
    : model_(std::move(model)), default_voice_(OptionOr(model_, "voice", kDefaultVoice)) {}

int EspeakEngine::RateForSpeed(double speed) {
  const double wpm = std::round(espeakRATE_NORMAL * speed);
  return static_cast<int>(std::clamp<double>(wpm, espeakRATE_MINIMUM, espeakRATE_MAXIMUM));
}

std::uint64_t EspeakEngine::EstimateFootprint() const {
  if (model_.path.empty()) return kEnglishDataEstimate;
  std::uint64_t bytes = 0;
  for (const char* file : {"phontab", "phonindex", "phondata", "intonations", "en_dict"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(std::filesystem::path(model_.path) / file, ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

Status EspeakEngine::Load(const LoadRequest& /*request*/) {
  tts::EspeakRuntime& runtime = tts::EspeakRuntime::Get();
  if (Status st = runtime.EnsureInitialized(model_.path); !st.ok()) {
    return Status(st.code(), "model '" + model_.name + "': " + st.message());
  }
  auto spec = runtime.Resolve(default_voice_);
  if (!spec.ok()) {
    return Status(spec.status().code(),
                  "model '" + model_.name + "': options.voice: " + spec.status().message());
  }
  footprint_.store(runtime.DataBytes(*spec));
  loaded_.store(true);
  return Status::Ok();
}

std::uint64_t EspeakEngine::FootprintBytes() const {
  return loaded_.load() ? footprint_.load() : 0;
}

void EspeakEngine::Unload() { loaded_.store(false); }

Result<std::vector<tts::Voice>> EspeakEngine::ListVoices() const {
  tts::EspeakRuntime& runtime = tts::EspeakRuntime::Get();
  if (Status st = runtime.EnsureInitialized(model_.path); !st.ok()) return st;
  return runtime.Voices();
}

Status EspeakEngine::SynthesizeSentences(std::string_view text, const SynthesizeOptions& options,
                                         const tts::SentenceCallback& on_sentence) {
  if (!loaded_.load()) {
    return Status(ErrorCode::kUnavailable, "espeak model '" + model_.name + "' is not loaded");
  }
  if (Status st = tts::ValidateSynthesis("espeak", text, options); !st.ok()) return st;
  tts::EspeakRuntime& runtime = tts::EspeakRuntime::Get();
  auto spec = runtime.Resolve(options.voice.empty() ? default_voice_ : options.voice);
  if (!spec.ok()) return spec.status();
  const int rate_wpm = RateForSpeed(options.speed);
  const int native_rate = runtime.sample_rate();
  for (const std::string& sentence : tts::SplitSentences(text)) {
    auto pcm = runtime.Speak(*spec, rate_wpm, sentence);
    if (!pcm.ok()) return pcm.status();
    SpeechAudio audio = tts::ToRate(std::move(pcm).value(), native_rate, options.sample_rate);
    if (!on_sentence(std::move(audio))) break;
  }
  return Status::Ok();
}

Result<SpeechAudio> EspeakEngine::Synthesize(std::string_view text, const SynthesizeOptions& options) {
  auto whole = tts::Collect(options, [&](const tts::SentenceCallback& on_sentence) {
    return SynthesizeSentences(text, options, on_sentence);
  });
  if (whole.ok() && whole->sample_rate == 0) whole->sample_rate = tts::EspeakRuntime::Get().sample_rate();
  return whole;
}

}  // namespace harvis
