#include "engines/stt/whisper/whisper_engine.h"

#if HARVIS_WITH_WHISPER

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/utf8.h"
#include "engines/ggml/ggml_threads.h"
#include "engines/stt/whisper/whisper_log.h"
#include "ggml-backend.h"
#include "whisper.h"

namespace harvis {
namespace {

constexpr double kSampleRate = 16000.0;

// Serialises whisper loads in this process, so that the RSS delta of one load does not
// include another's allocations.
std::mutex& LoadMutex() {
  static std::mutex mu;
  return mu;
}

// Resident set size of this process (Linux /proc/self/statm); 0 if unavailable.
std::int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

Result<bool> ParseBool(const ModelConfig& model, const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return Status(ErrorCode::kInvalidArgument,
                "model '" + model.name + "': options." + key + ": expected true or false");
}

// Number of GPU devices ggml knows (0 in a build without a GPU backend).
int GgmlGpuCount() {
  int count = 0;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    const auto type = ggml_backend_dev_type(ggml_backend_dev_get(i));
    if (type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU) ++count;
  }
  return count;
}

// Runs a call into whisper.cpp, which is C++ inside and may throw (e.g. std::out_of_range
// from a vocabulary lookup): the exception becomes a Status instead of crossing modules.
template <typename Call>
Status GuardWhisper(const std::string& what, Call&& call) {
  try {
    call();
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, what + ": whisper.cpp threw: " + e.what());
  } catch (...) {
    return Status(ErrorCode::kInternal, what + ": whisper.cpp threw an unknown exception");
  }
}

// ": <whisper.cpp's error lines>" or "".
std::string WhisperErrorSuffix() {
  const std::string errors = WhisperErrors();
  return errors.empty() ? "" : ": " + errors;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Segments of a finished whisper_full call, times clamped into the audio.
void CollectSegments(whisper_state* state, double duration_s, Transcript& out) {
  const int n = whisper_full_n_segments_from_state(state);
  for (int i = 0; i < n; ++i) {
    const char* text = whisper_full_get_segment_text_from_state(state, i);
    TranscriptSegment seg;
    // whisper.cpp times are in units of 10 ms.
    seg.start_s = std::clamp(0.01 * static_cast<double>(whisper_full_get_segment_t0_from_state(state, i)),
                             0.0, duration_s);
    seg.end_s = std::clamp(0.01 * static_cast<double>(whisper_full_get_segment_t1_from_state(state, i)),
                           seg.start_s, duration_s);
    seg.text = SanitizeUtf8(text != nullptr ? text : "");
    out.text += seg.text;
    out.segments.push_back(std::move(seg));
  }
  out.text = Trim(out.text);
}

}  // namespace

Result<WhisperOptions> WhisperOptions::Parse(const ModelConfig& model) {
  WhisperOptions out;
  for (const auto& [key, value] : model.options) {
    bool* target = key == "flash_attn"             ? &out.flash_attn
                   : key == "temperature_fallback" ? &out.temperature_fallback
                   : key == "word_timestamps"      ? &out.word_timestamps
                                                   : nullptr;
    if (target == nullptr) continue;  // other keys (e.g. "threads") are not this engine's
    auto parsed = ParseBool(model, key, value);
    if (!parsed.ok()) return parsed.status();
    *target = *parsed;
  }
  return out;
}

WhisperEngine::WhisperEngine(ModelConfig model, WhisperOptions options)
    : model_(std::move(model)), options_(options) {
  InstallWhisperLogRouting();
}

WhisperEngine::~WhisperEngine() { Unload(); }

std::uint64_t WhisperEngine::EstimateFootprint() const {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(model_.path, ec);
  if (ec) return 0;
  auto hparams = ReadWhisperHParams(model_.path);
  if (!hparams.ok()) return file_size;
  const auto states = static_cast<std::uint64_t>(std::max(1, model_.parallel));
  return file_size + states * EstimateWhisperStateBytes(*hparams);
}

Status WhisperEngine::Load(const LoadRequest& request) {
  Unload();
  ModelBytes bytes;
  std::string source;
  if (request.weights != nullptr) {
    if (!request.weights->data) {
      return Status(ErrorCode::kInvalidArgument,
                    "model '" + model_.name + "': the RAM-tier weights hold no bytes");
    }
    bytes = request.weights->data;
    source = "model '" + model_.name + "' (weights from RAM)";
  } else {
    source = request.path.empty() ? model_.path : request.path;
    if (source.empty()) {
      return Status(ErrorCode::kInvalidArgument, "model '" + model_.name + "': no model path");
    }
    auto read = ReadModelFile(source);
    if (!read.ok()) return read.status();
    bytes = *read;
  }
  auto info = InspectWhisperModel(*bytes, source);
  if (!info.ok()) return info.status();
  info_ = *info;

  std::lock_guard load_lock(LoadMutex());
  const std::int64_t rss_before = ResidentBytes();
  std::vector<WhisperReportedBuffer> reported;
  Status st;
  {
    WhisperBufferCapture capture(&reported);
    st = CreateContext(bytes, request.device, source);
    if (st.ok()) st = CreateStates(std::max(1, model_.parallel));
  }
  if (!st.ok()) {
    FreeAll();
    return st;
  }

  footprint_ = WhisperFootprint{};
  footprint_.states = static_cast<int>(states_.size());
  footprint_.rss_delta_bytes = ResidentBytes() - rss_before;
  for (const auto& buffer : reported) {
    const bool weights = buffer.label.rfind("whisper_model_load", 0) == 0;
    (weights ? footprint_.weight_buffer_bytes : footprint_.state_buffer_bytes) += buffer.bytes;
  }
  footprint_.weight_buffer_bytes = std::max(footprint_.weight_buffer_bytes, info_.weight_bytes);

  bytes_ = std::move(bytes);
  std::lock_guard lock(mu_);
  free_states_ = states_;
  loaded_ = true;
  return Status::Ok();
}

Status WhisperEngine::CreateContext(const ModelBytes& bytes, const DeviceTarget& device,
                                    const std::string& source) {
  whisper_context_params params = whisper_context_default_params();
  on_gpu_ = device.kind == DeviceKind::kGpu && !device.simulated;
  params.use_gpu = on_gpu_;
  params.gpu_device = std::max(0, device.gpu_index);
  params.flash_attn = options_.flash_attn;
  if (on_gpu_) {
    const int gpus = GgmlGpuCount();
    if (gpus == 0) {
      return Status(ErrorCode::kFailedPrecondition,
                    "model '" + model_.name + "': cannot place it on " + device.id +
                        ": whisper.cpp sees no GPU (needs a build with HARVIS_CUDA=ON and a "
                        "visible device)");
    }
    if (params.gpu_device >= gpus) {
      return Status(ErrorCode::kFailedPrecondition,
                    "model '" + model_.name + "': GPU index " + std::to_string(params.gpu_device) +
                        " not found (whisper.cpp sees " + std::to_string(gpus) + " GPUs)");
    }
  }
  ClearWhisperErrors();
  Status st = GuardWhisper(source, [&] {
    // whisper.cpp only copies out of the buffer, despite the non-const pointer.
    ctx_ = whisper_init_from_buffer_with_params_no_state(const_cast<std::uint8_t*>(bytes->data()),
                                                         bytes->size(), params);
  });
  if (!st.ok()) return st;
  if (ctx_ == nullptr) {
    return Status(ErrorCode::kFailedPrecondition,
                  source + ": whisper.cpp could not load the model" +
                      WhisperErrorSuffix());
  }
  return Status::Ok();
}

Status WhisperEngine::CreateStates(int count) {
  for (int i = 0; i < count; ++i) {
    ClearWhisperErrors();
    whisper_state* state = nullptr;
    Status st = GuardWhisper("model '" + model_.name + "'", [&] { state = whisper_init_state(ctx_); });
    if (!st.ok()) return st;
    if (state == nullptr) {
      return Status(ErrorCode::kResourceExhausted,
                    "model '" + model_.name + "': whisper.cpp could not allocate state " +
                        std::to_string(i + 1) + " of " + std::to_string(count) +
                        WhisperErrorSuffix());
    }
    states_.push_back(state);
  }
  return Status::Ok();
}

void WhisperEngine::FreeAll() {
  for (whisper_state* state : states_) whisper_free_state(state);
  states_.clear();
  if (ctx_ != nullptr) whisper_free(ctx_);
  ctx_ = nullptr;
  bytes_.reset();
  footprint_ = WhisperFootprint{};
  on_gpu_ = false;
}

std::uint64_t WhisperEngine::FootprintBytes() const {
  if (ctx_ == nullptr) return 0;
  if (on_gpu_) return footprint_.total();
  return std::max<std::uint64_t>(footprint_.total(),
                                 static_cast<std::uint64_t>(std::max<std::int64_t>(0, footprint_.rss_delta_bytes)));
}

std::optional<WeightBlob> WhisperEngine::ExportWeights() {
  if (ctx_ == nullptr || !bytes_) return std::nullopt;
  return WeightBlob{bytes_, bytes_->size()};
}

Result<WeightBlob> WhisperEngine::ReadWeights() const {
  if (model_.path.empty()) return Status(ErrorCode::kInvalidArgument, "model '" + model_.name + "': no model path");
  auto bytes = ReadModelFile(model_.path);
  if (!bytes.ok()) return bytes.status();
  if (auto info = InspectWhisperModel(**bytes, model_.path); !info.ok()) return info.status();
  return WeightBlob{*bytes, (*bytes)->size()};
}

void WhisperEngine::Unload() {
  {
    std::unique_lock lock(mu_);
    // Wake waiters (they see an empty pool of an unloaded engine) and wait for borrowers.
    loaded_ = false;
    state_returned_.notify_all();
    state_returned_.wait(lock, [&] { return free_states_.size() == states_.size(); });
    free_states_.clear();
  }
  FreeAll();
}

whisper_state* WhisperEngine::AcquireState() {
  std::unique_lock lock(mu_);
  state_returned_.wait(lock, [&] { return !loaded_ || !free_states_.empty(); });
  if (!loaded_) return nullptr;
  whisper_state* state = free_states_.back();
  free_states_.pop_back();
  return state;
}

void WhisperEngine::ReleaseState(whisper_state* state) {
  {
    std::lock_guard lock(mu_);
    free_states_.push_back(state);
  }
  state_returned_.notify_all();
}

Result<std::string> WhisperEngine::ResolveLanguage(const std::string& requested) const {
  const std::string lang = Lower(Trim(requested));
  const bool multilingual = info_.hparams.multilingual();
  if (lang.empty() || lang == "auto") return std::string(multilingual ? "auto" : "en");
  const int id = whisper_lang_id(lang.c_str());
  if (id < 0) {
    return Status(ErrorCode::kInvalidArgument,
                  "unknown language '" + requested +
                      "': use an ISO 639-1 code such as en, de or fr, or auto");
  }
  const std::string code = whisper_lang_str(id);
  if (!multilingual && code != "en") {
    return Status(ErrorCode::kInvalidArgument, "model '" + model_.name +
                                                   "' is English-only; it cannot transcribe '" +
                                                   requested + "'");
  }
  // Multilingual vocabularies hold n_vocab - 51766 language tokens (99, or 100 for v3).
  if (id >= info_.hparams.n_vocab - 51766) {
    return Status(ErrorCode::kInvalidArgument,
                  "model '" + model_.name + "' does not support language '" + requested + "'");
  }
  return code;
}

Result<Transcript> WhisperEngine::Transcribe(const std::vector<float>& pcm,
                                             const TranscribeOptions& options) {
  if (pcm.empty()) return Status(ErrorCode::kUnprocessable, "no audio samples to transcribe");
  if (pcm.size() > static_cast<size_t>(INT_MAX)) {
    return Status(ErrorCode::kPayloadTooLarge, "audio too long for whisper.cpp");
  }
  if (!std::all_of(pcm.begin(), pcm.end(), [](float s) { return std::isfinite(s); })) {
    return Status(ErrorCode::kUnprocessable, "audio contains NaN or infinite samples");
  }
  auto language = ResolveLanguage(options.language);
  if (!language.ok()) return language.status();

  whisper_state* state = AcquireState();
  if (state == nullptr) {
    return Status(ErrorCode::kUnavailable, "whisper model '" + model_.name + "' is not loaded");
  }
  struct Return {
    WhisperEngine* engine;
    whisper_state* state;
    ~Return() { engine->ReleaseState(state); }
  } give_back{this, state};

  whisper_full_params params = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
  params.n_threads = GgmlThreads(options.threads);
  params.no_context = true;  // states are pooled: never condition on another request's text
  params.print_progress = false;
  params.print_realtime = false;
  params.print_timestamps = false;
  params.print_special = false;
  params.language = language->c_str();
  params.initial_prompt = options.prompt.empty() ? nullptr : options.prompt.c_str();
  params.greedy.best_of = 1;  // one decoder: the KV cache keeps its measured size
  if (!options_.temperature_fallback) params.temperature_inc = 0.0f;
  if (options_.word_timestamps) {
    params.token_timestamps = true;
    params.max_len = 1;
    params.split_on_word = true;
  }

  ClearWhisperErrors();
  int rc = 0;
  Status st = GuardWhisper("transcription with model '" + model_.name + "'", [&] {
    rc = whisper_full_with_state(ctx_, state, params, pcm.data(), static_cast<int>(pcm.size()));
  });
  if (!st.ok()) return st;
  if (rc != 0) {
    return Status(ErrorCode::kInternal,
                  "whisper.cpp transcription failed (code " + std::to_string(rc) + ")" +
                      WhisperErrorSuffix());
  }
  Transcript out;
  out.duration_s = static_cast<double>(pcm.size()) / kSampleRate;
  const char* detected = info_.hparams.multilingual()
                             ? whisper_lang_str(whisper_full_lang_id_from_state(state))
                             : "en";
  out.language = detected != nullptr ? detected : "";
  CollectSegments(state, out.duration_s, out);
  return out;
}

}  // namespace harvis

#endif  // HARVIS_WITH_WHISPER

namespace harvis {

void RegisterWhisperEngine(EngineRegistry& registry) {
  registry.Register("whisper", [](const ModelConfig& model) -> Result<std::unique_ptr<Engine>> {
#if HARVIS_WITH_WHISPER
    if (model.kind != ModelKind::kStt) {
      return Status(ErrorCode::kInvalidArgument,
                    "model '" + model.name + "': engine 'whisper' is speech-to-text (kind: stt)");
    }
    auto options = WhisperOptions::Parse(model);
    if (!options.ok()) return options.status();
    return std::unique_ptr<Engine>(new WhisperEngine(model, *options));
#else
    return Status(ErrorCode::kFailedPrecondition,
                  "model '" + model.name +
                      "': engine 'whisper' is not in this build (HARVIS_WITH_WHISPER=OFF)");
#endif
  });
}

}  // namespace harvis
