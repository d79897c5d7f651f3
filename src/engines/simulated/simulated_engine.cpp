#include "engines/simulated/simulated_engine.h"

#include <cmath>
#include <functional>
#include <sstream>
#include <thread>

namespace harvis {
namespace {

constexpr std::uint64_t kDefaultSimulatedMemory = 256 * kMiB;

Status BadOption(const ModelConfig& model, const std::string& key, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument,
                "model '" + model.name + "': options." + key + ": " + why);
}

// "true"/"false" or a probability in [0, 1].
std::optional<double> ParseProbability(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  try {
    size_t used = 0;
    double p = std::stod(text, &used);
    if (used != text.size() || !(p >= 0.0 && p <= 1.0)) return std::nullopt;
    return p;
  } catch (...) {
    return std::nullopt;
  }
}

void SleepFor(Duration d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

}  // namespace

Result<SimulatedOptions> SimulatedOptions::Parse(const ModelConfig& model) {
  SimulatedOptions out;
  out.memory = model.memory.value_or(kDefaultSimulatedMemory);
  out.seed = std::hash<std::string>{}(model.name);
  for (const auto& [key, value] : model.options) {
    if (key == "load_time" || key == "infer_time" || key == "ram_load_time") {
      auto d = ParseDuration(value);
      if (!d) return BadOption(model, key, "not a duration: '" + value + "'");
      if (key == "load_time") out.load_time = *d;
      if (key == "infer_time") out.infer_time = *d;
      if (key == "ram_load_time") out.ram_load_time = *d;
    } else if (key == "fail_load") {
      auto p = ParseProbability(value);
      if (!p) return BadOption(model, key, "expected true, false or a probability in [0, 1]");
      out.fail_probability = *p;
    } else if (key == "seed") {
      try {
        out.seed = std::stoull(value);
      } catch (...) {
        return BadOption(model, key, "not an integer: '" + value + "'");
      }
    } else if (key == "from_memory") {
      if (value != "true" && value != "false") return BadOption(model, key, "expected true or false");
      out.from_memory = value == "true";
    } else if (key == "layers") {
      try {
        out.layers = std::stoi(value);
      } catch (...) {
        out.layers = -1;
      }
      if (out.layers < 1 || out.layers > 1000) return BadOption(model, key, "expected an integer in [1, 1000]");
    }
    // Other keys (e.g. "threads") are ignored by this engine.
  }
  return out;
}

SimulatedEngine::SimulatedEngine(ModelConfig model, SimulatedOptions options)
    : model_(std::move(model)), options_(options), rng_(options.seed) {}

void SimulatedEngine::set_fail_probability(double p) {
  std::lock_guard lock(rng_mu_);
  options_.fail_probability = p;
}

bool SimulatedEngine::DrawFailure() {
  std::lock_guard lock(rng_mu_);
  if (options_.fail_probability <= 0) return false;
  if (options_.fail_probability >= 1) return true;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < options_.fail_probability;
}

Status SimulatedEngine::Load(const LoadRequest& request) {
  const bool from_ram = request.weights != nullptr && options_.from_memory;
  SleepFor(from_ram ? options_.RamLoadTime() : options_.load_time);
  if (DrawFailure()) {
    return Status(ErrorCode::kUnavailable,
                  "simulated load failure of '" + model_.name + "' on " + request.device.id);
  }
  const int layers = options_.layers;
  const bool split = layers > 0 && request.device.kind == DeviceKind::kGpu && request.gpu_layers >= 0 &&
                     request.gpu_layers < layers;
  device_share_.store(split ? options_.memory * static_cast<std::uint64_t>(request.gpu_layers) / layers
                            : options_.memory);
  loaded_.store(true);
  loads_.fetch_add(1);
  if (from_ram) loads_from_memory_.fetch_add(1);
  return Status::Ok();
}

std::uint64_t SimulatedEngine::FootprintBytes() const {
  return loaded_.load() ? device_share_.load() : 0;
}

std::uint64_t SimulatedEngine::HostBytes() const {
  return loaded_.load() ? options_.memory - device_share_.load() : 0;
}

std::optional<WeightBlob> SimulatedEngine::ExportWeights() {
  if (!options_.from_memory || !loaded_.load()) return std::nullopt;
  return WeightBlob{nullptr, options_.memory};
}

Result<WeightBlob> SimulatedEngine::ReadWeights() const {
  if (!options_.from_memory) return Status(ErrorCode::kInvalidArgument, "simulated model '" + model_.name + "' has from_memory: false");
  SleepFor(std::max(Duration(0), options_.load_time - options_.RamLoadTime()));
  return WeightBlob{nullptr, options_.memory};
}

void SimulatedEngine::Unload() { loaded_.store(false); }

Status SimulatedEngine::CheckLoaded() const {
  if (loaded_.load()) return Status::Ok();
  return Status(ErrorCode::kUnavailable, "simulated model '" + model_.name + "' is not loaded");
}

Result<Transcript> SimulatedEngine::Transcribe(const std::vector<float>& pcm,
                                               const TranscribeOptions& options) {
  if (auto st = CheckLoaded(); !st.ok()) return st;
  SleepFor(options_.infer_time);
  Transcript t;
  t.text = "simulated transcript of " + std::to_string(pcm.size()) + " samples";
  t.language = options.language.empty() ? "en" : options.language;
  t.duration_s = static_cast<double>(pcm.size()) / 16000.0;
  t.segments.push_back({0.0, t.duration_s, t.text});
  return t;
}

Result<SpeechAudio> SimulatedEngine::Synthesize(std::string_view text,
                                                const SynthesizeOptions& options) {
  if (auto st = CheckLoaded(); !st.ok()) return st;
  SleepFor(options_.infer_time);
  SpeechAudio audio;
  audio.sample_rate = options.sample_rate > 0 ? options.sample_rate : 22050;
  const double speed = options.speed > 0 ? options.speed : 1.0;
  // 100 ms of a quiet 440 Hz tone per word, at most 3 s, at least 100 ms.
  const size_t words = std::max<size_t>(1, SplitWords(text).size());
  const double seconds = std::min(3.0, 0.1 * static_cast<double>(words) / speed);
  const size_t n = static_cast<size_t>(seconds * audio.sample_rate);
  audio.pcm.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double phase = 2.0 * M_PI * 440.0 * static_cast<double>(i) / audio.sample_rate;
    audio.pcm[i] = static_cast<std::int16_t>(3000.0 * std::sin(phase));
  }
  return audio;
}

Result<ChatResult> SimulatedEngine::Chat(const std::vector<ChatMessage>& messages,
                                         const ChatOptions& options,
                                         const TokenCallback& on_token,
                                         const CancellationToken* cancel) {
  if (auto st = CheckLoaded(); !st.ok()) return st;
  std::string last_user;
  for (const auto& m : messages) {
    if (m.role == "user") last_user = m.content;
  }
  std::vector<std::string> words = SplitWords("This is a simulated answer to: " + last_user);
  const size_t limit = options.max_tokens > 0 ? static_cast<size_t>(options.max_tokens) : 64;
  ChatResult result;
  result.finish_reason = "stop";
  const Duration per_token = options_.infer_time / static_cast<int>(std::max<size_t>(1, words.size()));
  for (size_t i = 0; i < words.size(); ++i) {
    if (cancel != nullptr && cancel->cancelled()) {
      result.finish_reason = "cancelled";
      break;
    }
    if (i >= limit) {
      result.finish_reason = "length";
      break;
    }
    SleepFor(per_token);
    std::string token = (i == 0 ? "" : " ") + words[i];
    result.text += token;
    ++result.tokens;
    if (on_token && !on_token(token)) {
      result.finish_reason = "cancelled";
      break;
    }
  }
  return result;
}

}  // namespace harvis
