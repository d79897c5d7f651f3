#include "engines/stt/pocketsphinx/pocketsphinx_engine.h"

#include <algorithm>
#include <cctype>

namespace harvis {
namespace {

// The en-us model's resident size is about 2.5x its files (96 MB for 38 MB).
constexpr std::uint64_t kEstimateNumerator = 5;
constexpr std::uint64_t kEstimateDenominator = 2;

std::string OptionOr(const ModelConfig& model, const std::string& key,
                     const std::string& fallback) {
  auto it = model.options.find(key);
  return it == model.options.end() || it->second.empty() ? fallback : it->second;
}

// "", "en", "english", "en-us", "en_GB" ... (any case).
bool IsEnglish(const std::string& language) {
  std::string lower = language;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.empty() || lower == "en" || lower == "english" || lower.rfind("en-", 0) == 0 ||
         lower.rfind("en_", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<Engine>> PocketsphinxEngine::Create(const ModelConfig& model) {
  if (model.kind != ModelKind::kStt) {
    return Status(ErrorCode::kInvalidArgument, "model '" + model.name +
                                                   "': engine 'pocketsphinx' is a speech-to-text "
                                                   "engine; set kind: stt");
  }
  if (model.parallel < 1) {
    return Status(ErrorCode::kInvalidArgument,
                  "model '" + model.name + "': parallel must be at least 1");
  }
  const stt::PocketsphinxPaths defaults = stt::PocketsphinxPaths::Defaults();
  stt::PocketsphinxPaths paths{model.path.empty() ? defaults.hmm : model.path,
                               OptionOr(model, "lm", defaults.lm),
                               OptionOr(model, "dict", defaults.dict)};
  return std::unique_ptr<Engine>(new PocketsphinxEngine(model, std::move(paths)));
}

PocketsphinxEngine::PocketsphinxEngine(ModelConfig model, stt::PocketsphinxPaths paths)
    : model_(std::move(model)), paths_(std::move(paths)) {}

PocketsphinxEngine::~PocketsphinxEngine() { Unload(); }

std::uint64_t PocketsphinxEngine::EstimateFootprint() const {
  return paths_.FileBytes() * kEstimateNumerator / kEstimateDenominator *
         static_cast<std::uint64_t>(model_.parallel);
}

Status PocketsphinxEngine::Load(const LoadRequest& /*request*/) {
  Unload();
  std::vector<std::unique_ptr<stt::PocketsphinxDecoder>> decoders;
  std::uint64_t footprint = 0;
  for (int i = 0; i < model_.parallel; ++i) {
    auto decoder = stt::PocketsphinxDecoder::Create(paths_);
    if (!decoder.ok()) {
      return Status(decoder.status().code(),
                    "model '" + model_.name + "': " + decoder.status().message());
    }
    footprint += (*decoder)->footprint_bytes();
    decoders.push_back(std::move(decoder).value());
  }
  std::lock_guard lock(mu_);
  decoders_ = std::move(decoders);
  idle_.clear();
  for (const auto& decoder : decoders_) idle_.push_back(decoder.get());
  footprint_ = footprint;
  return Status::Ok();
}

std::uint64_t PocketsphinxEngine::FootprintBytes() const {
  std::lock_guard lock(mu_);
  return decoders_.empty() ? 0 : footprint_;
}

void PocketsphinxEngine::Unload() {
  std::vector<std::unique_ptr<stt::PocketsphinxDecoder>> doomed;
  {
    std::unique_lock lock(mu_);
    // Defensive: let calls that still hold a decoder finish before freeing it.
    idle_cv_.wait(lock, [this] { return idle_.size() == decoders_.size(); });
    doomed = std::move(decoders_);
    decoders_.clear();
    idle_.clear();
    footprint_ = 0;
  }
  idle_cv_.notify_all();  // waiters in Borrow see the pool gone
}

stt::PocketsphinxDecoder* PocketsphinxEngine::Borrow() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return decoders_.empty() || !idle_.empty(); });
  if (decoders_.empty()) return nullptr;
  stt::PocketsphinxDecoder* decoder = idle_.back();
  idle_.pop_back();
  return decoder;
}

void PocketsphinxEngine::Return(stt::PocketsphinxDecoder* decoder) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(decoder);
  }
  idle_cv_.notify_all();
}

// A stream keeps its decoder from the pool until it is destroyed.
class PocketsphinxEngine::Stream final : public TranscriptionStream {
 public:
  Stream(PocketsphinxEngine& engine, stt::PocketsphinxDecoder* decoder) : engine_(engine), decoder_(decoder) {}
  ~Stream() override {
    if (!finished_) decoder_->AbortStream();
    engine_.Return(decoder_);
  }
  Status Feed(const std::vector<float>& pcm, int /*threads*/) override {
    if (finished_) return Status(ErrorCode::kFailedPrecondition, "pocketsphinx: the utterance has ended");
    return decoder_->FeedStream(pcm);
  }
  std::string Partial() override { return finished_ ? "" : decoder_->StreamHypothesis(); }
  Result<Transcript> Finish() override {
    if (finished_) return Status(ErrorCode::kFailedPrecondition, "pocketsphinx: the utterance has ended");
    finished_ = true;
    return decoder_->FinishStream();
  }

 private:
  PocketsphinxEngine& engine_;
  stt::PocketsphinxDecoder* decoder_;
  bool finished_ = false;
};

Result<std::unique_ptr<TranscriptionStream>> PocketsphinxEngine::OpenTranscription(const TranscribeOptions& options) {
  if (Status st = CheckLanguage(options.language); !st.ok()) return st;
  stt::PocketsphinxDecoder* decoder = Borrow();
  if (decoder == nullptr) return NotLoaded();
  if (Status st = decoder->StartStream(); !st.ok()) {
    Return(decoder);
    return st;
  }
  return std::unique_ptr<TranscriptionStream>(new Stream(*this, decoder));
}

Status PocketsphinxEngine::CheckLanguage(const std::string& language) const {
  if (IsEnglish(language)) return Status::Ok();
  return Status(ErrorCode::kInvalidArgument,
                "pocketsphinx model '" + model_.name + "' only transcribes English ('en'); got '" + language + "'");
}

Status PocketsphinxEngine::NotLoaded() const {
  return Status(ErrorCode::kUnavailable, "pocketsphinx model '" + model_.name + "' is not loaded");
}

Result<Transcript> PocketsphinxEngine::Transcribe(const std::vector<float>& pcm_16k_mono,
                                                  const TranscribeOptions& options) {
  if (Status st = CheckLanguage(options.language); !st.ok()) return st;
  stt::PocketsphinxDecoder* decoder = Borrow();
  if (decoder == nullptr) return NotLoaded();
  Result<Transcript> result = decoder->Decode(pcm_16k_mono);
  Return(decoder);
  return result;
}

}  // namespace harvis
