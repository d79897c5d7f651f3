#include "engines/llm/llama/llama_engine.h"

#if HARVIS_WITH_LLAMA

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <limits>
#include <thread>

#include "engines/ggml/ggml_log.h"
#include "engines/ggml/ggml_threads.h"
#include "engines/llm/stop_filter.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

namespace harvis {
namespace {

// Serialises llama loads in this process, so that the RSS delta of one load does not
// include another's allocations.
std::mutex& LoadMutex() {
  static std::mutex mu;
  return mu;
}

void InitLlamaOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(&GgmlLogCallback, nullptr);
    llama_backend_init();
  });
}

// This process's anonymous resident memory (heap, not mapped files): /proc/self/status.
std::int64_t AnonymousResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long long kib = 0;
  while (status >> key) {
    if (key == "RssAnon:" && status >> kib) return kib * 1024;
    status.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

std::int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

Status BadOption(const ModelConfig& model, const std::string& key, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument, "model '" + model.name + "': options." + key + ": " + why);
}

Result<std::uint32_t> ParseCount(const ModelConfig& model, const std::string& key, const std::string& value,
                                 std::uint32_t min, std::uint32_t max) {
  try {
    size_t used = 0;
    const long long v = std::stoll(value, &used);
    if (used == value.size() && v >= min && v <= max) return static_cast<std::uint32_t>(v);
  } catch (...) {
  }
  return BadOption(model, key, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

// The ggml GPU devices, in order (none in a build without a GPU backend).
std::vector<ggml_backend_dev_t> GpuDevices() {
  std::vector<ggml_backend_dev_t> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    const auto type = ggml_backend_dev_type(dev);
    if (type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU) out.push_back(dev);
  }
  return out;
}

// A buffer llama.cpp reported while allocating: "load_tensors: CUDA0 model buffer size =
// 17.00 MiB", "llama_kv_cache: CPU KV buffer size = ...", "... compute buffer size = ...".
// Adds it to the device or host bytes; false if the line is not such a report.
bool AddReportedBuffer(const std::string& line, LlamaFootprint& out) {
  const auto at = line.find(" buffer size = ");
  if (at == std::string::npos) return false;
  std::uint64_t bytes = 0;
  if (!ParseLoggedSize(line, &bytes)) return false;
  const auto colon = line.find(':');
  if (colon == std::string::npos || colon > at) return false;
  const auto name_begin = line.find_first_not_of(' ', colon + 1);
  const std::string name = line.substr(name_begin, line.find(' ', name_begin) - name_begin);
  const bool host = name.rfind("CPU", 0) == 0 || name.find("_Host") != std::string::npos;
  (host ? out.host_bytes : out.device_bytes) += bytes;
  return true;
}

std::string TokenPiece(const llama_vocab* vocab, llama_token token) {
  char buf[256];
  const int n = llama_token_to_piece(vocab, token, buf, sizeof(buf), 0, /*special=*/false);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  const int m = llama_token_to_piece(vocab, token, big.data(), -n, 0, false);
  return m > 0 ? big.substr(0, static_cast<size_t>(m)) : "";
}

// The whole GGUF file in a memory file, after checking that it is one.
Result<WeightBlob> ReadGgufFile(const std::string& path) {
  auto info = InspectGgufFile(path);
  if (!info.ok()) return info.status();
  auto file = MemoryFile::CopyOf(path);
  if (!file.ok()) return file.status();
  WeightBlob blob;
  blob.accounted_bytes = (*file)->size();
  blob.file = *file;
  return blob;
}

struct SamplerFree {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerFree>;

// The OpenAI/Ollama sampling options as a llama.cpp sampler chain.
Result<SamplerPtr> MakeSampler(const ChatOptions& options) {
  SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (options.temperature <= 0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  double top_p = 1.0;
  int top_k = 40;  // Ollama's and llama-server's default
  std::uint32_t seed = LLAMA_DEFAULT_SEED;
  try {
    if (auto it = options.extra.find("top_p"); it != options.extra.end()) top_p = std::stod(it->second);
    if (auto it = options.extra.find("top_k"); it != options.extra.end()) top_k = std::stoi(it->second);
    if (auto it = options.extra.find("seed"); it != options.extra.end()) {
      seed = static_cast<std::uint32_t>(std::stoll(it->second));
    }
  } catch (...) {
    return Status(ErrorCode::kInvalidArgument, "top_p, top_k and seed must be numbers");
  }
  if (top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(top_k));
  if (top_p < 1.0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(static_cast<float>(top_p), 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(static_cast<float>(options.temperature)));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
  return chain;
}

// How many leading tokens of `prompt` a KV cache holding `cached` can keep: the common
// prefix, but never the whole prompt, since the first sample needs the last token's logits.
size_t ReusablePrefix(const std::vector<llama_token>& cached, const std::vector<llama_token>& prompt) {
  const auto mismatch = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end());
  const auto common = static_cast<size_t>(mismatch.first - cached.begin());
  return std::min(common, prompt.empty() ? 0 : prompt.size() - 1);
}

}  // namespace

// One sequence slot: a llama context with its own KV cache, over the shared weights.
struct LlamaEngine::Slot {
  llama_context* ctx = nullptr;
  ggml_threadpool* threads = nullptr;  // ggml's threads for this context (AttachThreadPool)
  std::atomic<const CancellationToken*> cancel{nullptr};
  // The tokens whose keys and values the KV cache holds, at positions 0..size()-1: the
  // last prompt and what was generated after it. Written only by the holder of the slot.
  std::vector<llama_token> cached;
  std::uint64_t last_used = 0;  // when it was last returned (LlamaEngine::releases_); guarded by mu_

  // Keeps the first n cached tokens and drops every later position from the KV cache
  // (everything, if the cache cannot drop a part). KeepFirst(cached.size()) drops what a
  // failed or aborted decode left behind (the ubatches it processed).
  void KeepFirst(size_t n) {
    llama_memory_t memory = llama_get_memory(ctx);
    if (!llama_memory_seq_rm(memory, 0, static_cast<llama_pos>(n), -1)) {
      llama_memory_clear(memory, true);
      n = 0;
    }
    cached.resize(std::min(n, cached.size()));
  }

  static bool Abort(void* data) {
    const auto* token = static_cast<Slot*>(data)->cancel.load();
    return token != nullptr && token->cancelled();
  }
  ~Slot() {
    if (ctx != nullptr) llama_free(ctx);
    if (threads != nullptr) ggml_threadpool_free(threads);
  }
};

Result<LlamaOptions> LlamaOptions::Parse(const ModelConfig& model) {
  LlamaOptions out;
  for (const auto& [key, value] : model.options) {
    if (key == "context") {
      auto v = ParseCount(model, key, value, 64, 1u << 20);
      if (!v.ok()) return v.status();
      out.context = *v;
    } else if (key == "batch") {
      auto v = ParseCount(model, key, value, 1, 1u << 16);
      if (!v.ok()) return v.status();
      out.batch = *v;
    } else if (key == "flash_attn") {
      if (value != "auto" && value != "true" && value != "false") {
        return BadOption(model, key, "expected auto, true or false");
      }
      out.flash_attn = value == "auto" ? -1 : value == "true" ? 1 : 0;
    } else if (key == "chat_template") {
      if (value.empty()) return BadOption(model, key, "must not be empty");
      out.chat_template = value;
    }
  }
  return out;
}

LlamaEngine::LlamaEngine(ModelConfig model, LlamaOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  InitLlamaOnce();
  if (auto info = InspectGgufFile(model_.path); info.ok()) splittable_layers_ = static_cast<int>(info->n_layer) + 1;
}

LlamaEngine::~LlamaEngine() { Unload(); }

std::uint64_t LlamaEngine::EstimateFootprint() const {
  auto info = InspectGgufFile(model_.path);
  if (!info.ok()) return 0;
  const std::uint32_t n_ctx = info->n_ctx_train > 0 ? std::min(options_.context, info->n_ctx_train) : options_.context;
  const auto slots = static_cast<std::uint64_t>(std::max(1, model_.parallel));
  return info->weight_bytes +
         slots * (PredictKvBytes(*info, n_ctx) + PredictComputeBytes(*info, n_ctx, std::min(options_.batch, 512u)));
}

// A model llama.cpp loaded from a memory file. On the CPU its weights are the file's
// mapped pages, so the RAM tier keeps it with the file and a reload onto the CPU skips
// parsing the GGUF and building the vocabulary: it only creates the contexts.
struct LlamaEngine::LoadedModel final : LoadedWeights {
  llama_model* model = nullptr;
  bool on_cpu = false;                  // no layer on a real GPU
  GgufModelInfo info;
  std::vector<std::string> load_lines;  // what llama.cpp logged while loading it (buffer sizes)
  // The heap it took besides the mapped file (vocabulary, weights repacked for the CPU):
  // what keeping it in the RAM tier costs beyond the file.
  std::uint64_t heap_bytes = 0;
  ~LoadedModel() override { llama_model_free(model); }
};

Status LlamaEngine::Load(const LoadRequest& request) {
  Unload();
  std::string source;
  const bool on_cpu = request.device.kind != DeviceKind::kGpu || request.device.simulated;
  std::shared_ptr<const LoadedModel> kept;
  if (request.weights != nullptr) {
    if (!request.weights->file) {
      return Status(ErrorCode::kInvalidArgument, "model '" + model_.name + "': the RAM-tier weights hold no bytes");
    }
    file_ = request.weights->file;
    source = "model '" + model_.name + "' (weights from RAM)";
    kept = std::dynamic_pointer_cast<const LoadedModel>(request.weights->loaded);
    if (kept && !(kept->on_cpu && on_cpu)) kept.reset();  // a GPU needs its buffers again
  } else {
    source = request.path.empty() ? model_.path : request.path;
    if (source.empty()) return Status(ErrorCode::kInvalidArgument, "model '" + model_.name + "': no model path");
    auto read = ReadGgufFile(source);
    if (!read.ok()) return read.status();
    file_ = read->file;
  }
  if (kept) {
    info_ = kept->info;
  } else {
    auto info = InspectGgufFile(file_->path());
    if (!info.ok()) {
      file_.reset();
      return Status(info.status().code(), source + ": " + info.status().message());
    }
    info_ = *info;
  }
  n_ctx_ = info_.n_ctx_train > 0 ? std::min(options_.context, info_.n_ctx_train) : options_.context;

  std::lock_guard load_lock(LoadMutex());
  const std::int64_t rss_before = ResidentBytes();
  const std::int64_t heap_before = AnonymousResidentBytes();
  std::vector<std::string> lines;
  Status st;
  {
    GgmlLogCapture capture(&lines);
    if (kept) {
      UseModel(kept);
      lines = kept->load_lines;
      footprint_.gpu_layers = 0;
    } else {
      st = CreateModel(request.device, request.gpu_layers, source);
      if (st.ok()) {
        auto loaded = std::make_shared<LoadedModel>();
        loaded->model = llama_model_;
        loaded->on_cpu = on_cpu;
        loaded->info = info_;
        loaded->load_lines = lines;
        const std::int64_t heap = AnonymousResidentBytes() - heap_before;
        loaded->heap_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, heap));
        UseModel(std::move(loaded));
      }
    }
    if (st.ok()) st = CreateSlots(std::max(1, model_.parallel));
  }
  if (!st.ok()) {
    FreeAll();
    return st;
  }
  LlamaFootprint measured;
  for (const auto& line : lines) AddReportedBuffer(line, measured);
  measured.weight_bytes = llama_model_size(llama_model_);
  // The weights are at least their exact size, wherever llama.cpp reported them.
  if (measured.total() < measured.weight_bytes) measured.host_bytes += measured.weight_bytes - measured.total();
  measured.rss_delta_bytes = ResidentBytes() - rss_before;
  measured.slots = static_cast<int>(slots_.size());
  measured.gpu_layers = footprint_.gpu_layers;
  measured.on_gpu = request.device.kind == DeviceKind::kGpu;
  if (measured.on_gpu && request.device.simulated) {
    // Everything ran on the CPU: charge the simulated GPU its layers' share.
    const int layers = static_cast<int>(info_.n_layer) + 1;
    measured.gpu_layers = request.gpu_layers < 0 ? layers : std::min(request.gpu_layers, layers);
    const std::uint64_t total = std::max<std::uint64_t>(
        measured.total(), static_cast<std::uint64_t>(std::max<std::int64_t>(0, measured.rss_delta_bytes)));
    measured.device_bytes = total * static_cast<std::uint64_t>(measured.gpu_layers) / layers;
    measured.host_bytes = total - measured.device_bytes;
  }
  footprint_ = measured;

  std::lock_guard lock(mu_);
  free_slots_.clear();
  for (auto& slot : slots_) free_slots_.push_back(slot.get());
  loaded_ = true;
  return Status::Ok();
}

Status LlamaEngine::CreateModel(const DeviceTarget& device, int gpu_layers, const std::string& source) {
  llama_model_params params = llama_model_default_params();
  // Map the memory file: on the CPU the weights are used where they are (no copy); a
  // GPU uploads them from the mapping.
  params.load_mode = LLAMA_LOAD_MODE_MMAP;
  params.split_mode = LLAMA_SPLIT_MODE_NONE;
  params.main_gpu = 0;
  // A NULL-terminated device list: the one GPU the scheduler chose, or none (CPU only).
  std::vector<ggml_backend_dev_t> devices;
  const bool on_gpu = device.kind == DeviceKind::kGpu && !device.simulated;
  if (on_gpu) {
    const auto gpus = GpuDevices();
    if (gpus.empty()) {
      return Status(ErrorCode::kFailedPrecondition,
                    "model '" + model_.name + "': cannot place it on " + device.id +
                        ": llama.cpp sees no GPU (needs a build with HARVIS_CUDA=ON and a visible device)");
    }
    const int index = std::max(0, device.gpu_index);
    if (index >= static_cast<int>(gpus.size())) {
      return Status(ErrorCode::kFailedPrecondition, "model '" + model_.name + "': GPU index " +
                                                        std::to_string(index) + " not found (llama.cpp sees " +
                                                        std::to_string(gpus.size()) + " GPUs)");
    }
    devices.push_back(gpus[static_cast<size_t>(index)]);
    const int layers = static_cast<int>(info_.n_layer) + 1;  // + the output layer
    footprint_.gpu_layers = gpu_layers < 0 ? layers : std::min(gpu_layers, layers);
    params.n_gpu_layers = gpu_layers < 0 ? -1 : gpu_layers;
  } else {
    footprint_.gpu_layers = 0;
    params.n_gpu_layers = 0;
  }
  devices.push_back(nullptr);
  params.devices = devices.data();

  ClearGgmlErrors();
  try {
    llama_model_ = llama_model_load_from_file(file_->path().c_str(), params);
  } catch (const std::exception& e) {
    llama_model_ = nullptr;
    return Status(ErrorCode::kFailedPrecondition, source + ": llama.cpp could not load the model: " + e.what());
  }
  if (llama_model_ == nullptr) {
    return Status(ErrorCode::kFailedPrecondition, source + ": llama.cpp could not load the model" + GgmlErrorSuffix());
  }
  return Status::Ok();
}

void LlamaEngine::UseModel(std::shared_ptr<const LoadedModel> model) {
  model_owner_ = std::move(model);
  llama_model_ = model_owner_->model;
  template_ = options_.chat_template;
  if (template_.empty()) {
    const char* own = llama_model_chat_template(llama_model_, nullptr);
    template_ = own != nullptr ? own : "chatml";
  }
}

Status LlamaEngine::CreateSlots(int count) {
  for (int i = 0; i < count; ++i) {
    llama_context_params params = llama_context_default_params();
    params.n_ctx = n_ctx_;
    params.n_batch = options_.batch;
    params.n_ubatch = std::min(options_.batch, 512u);
    params.n_seq_max = 1;
    params.n_threads = GgmlThreads(1);
    params.n_threads_batch = params.n_threads;
    params.no_perf = true;
    params.flash_attn_type = options_.flash_attn < 0    ? LLAMA_FLASH_ATTN_TYPE_AUTO
                             : options_.flash_attn == 1 ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                                                        : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    auto slot = std::make_unique<Slot>();
    params.abort_callback = &Slot::Abort;
    params.abort_callback_data = slot.get();
    ClearGgmlErrors();
    slot->ctx = llama_init_from_model(llama_model_, params);
    if (slot->ctx == nullptr) {
      return Status(ErrorCode::kResourceExhausted, "model '" + model_.name + "': llama.cpp could not create slot " +
                                                       std::to_string(i + 1) + " of " + std::to_string(count) +
                                                       " (context " + std::to_string(n_ctx_) + ")" +
                                                       GgmlErrorSuffix());
    }
    AttachThreadPool(*slot);
    slots_.push_back(std::move(slot));
  }
  return Status::Ok();
}

// Without a pool of its own, ggml starts and joins its threads for every graph, i.e. for
// every generated token. This pool lives as long as the slot; poll 0 makes its idle
// threads sleep instead of spinning on cores that the HTTP loops and other engines need
// (on 2 cores, spinning cost more tokens/s than it saved). Calls use as many of its
// threads as the scheduler granted (llama_set_n_threads); without a pool, ggml's own.
void LlamaEngine::AttachThreadPool(Slot& slot) const {
  const int threads = model_.ThreadsOr(static_cast<int>(std::thread::hardware_concurrency()));
  ggml_threadpool_params params = ggml_threadpool_params_default(GgmlThreads(threads));
  params.poll = 0;
  slot.threads = ggml_threadpool_new(&params);
  if (slot.threads != nullptr) llama_attach_threadpool(slot.ctx, slot.threads, nullptr);
}

void LlamaEngine::FreeAll() {
  slots_.clear();
  model_owner_.reset();
  llama_model_ = nullptr;
  file_.reset();
  footprint_ = LlamaFootprint{};
}

std::uint64_t LlamaEngine::FootprintBytes() const {
  if (llama_model_ == nullptr) return 0;
  if (footprint_.on_gpu) return footprint_.device_bytes;
  return std::max<std::uint64_t>(footprint_.total(),
                                 static_cast<std::uint64_t>(std::max<std::int64_t>(0, footprint_.rss_delta_bytes)));
}

std::uint64_t LlamaEngine::HostBytes() const {
  return llama_model_ != nullptr && footprint_.on_gpu ? footprint_.host_bytes : 0;
}

std::optional<WeightBlob> LlamaEngine::ExportWeights() {
  if (llama_model_ == nullptr || !file_) return std::nullopt;
  WeightBlob blob;
  blob.accounted_bytes = file_->size();
  blob.file = file_;
  if (model_owner_->on_cpu) {
    blob.loaded = model_owner_;
    blob.accounted_bytes += model_owner_->heap_bytes;
  }
  return blob;
}

Result<WeightBlob> LlamaEngine::ReadWeights() const {
  if (model_.path.empty()) return Status(ErrorCode::kInvalidArgument, "model '" + model_.name + "': no model path");
  return ReadGgufFile(model_.path);
}

void LlamaEngine::Unload() {
  {
    std::unique_lock lock(mu_);
    loaded_ = false;
    slot_returned_.notify_all();
    slot_returned_.wait(lock, [&] { return free_slots_.size() == slots_.size(); });
    free_slots_.clear();
  }
  FreeAll();
}

LlamaEngine::Slot* LlamaEngine::AcquireSlot() {
  std::unique_lock lock(mu_);
  slot_returned_.wait(lock, [&] { return !loaded_ || !free_slots_.empty(); });
  if (!loaded_) return nullptr;
  Slot* slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void LlamaEngine::ReleaseSlot(Slot* slot) {
  {
    std::lock_guard lock(mu_);
    slot->last_used = ++releases_;
    free_slots_.push_back(slot);
  }
  slot_returned_.notify_all();
}

// The slot for `prompt`, among `held` and the free ones: the one whose KV cache holds the
// longest prefix of it if that is at least half the prompt, else the least recently used
// (an empty one first), so that a new conversation does not evict one that goes on.
LlamaEngine::Slot* LlamaEngine::SwapForBestSlot(Slot* held, const std::vector<std::int32_t>& prompt) {
  std::lock_guard lock(mu_);
  Slot* longest = held;
  Slot* oldest = held;
  size_t best = ReusablePrefix(held->cached, prompt);
  for (Slot* slot : free_slots_) {
    if (const size_t reuse = ReusablePrefix(slot->cached, prompt); reuse > best) {
      best = reuse;
      longest = slot;
    }
    if (slot->last_used < oldest->last_used) oldest = slot;
  }
  Slot* chosen = 2 * best >= prompt.size() ? longest : oldest;
  if (chosen != held) *std::find(free_slots_.begin(), free_slots_.end(), chosen) = held;
  return chosen;
}

Result<std::vector<std::int32_t>> LlamaEngine::Tokenize(const std::string& prompt) const {
  const llama_vocab* vocab = llama_model_get_vocab(llama_model_);
  const auto len = static_cast<int32_t>(prompt.size());
  const int32_t n = -llama_tokenize(vocab, prompt.data(), len, nullptr, 0, /*add_special=*/true, /*parse_special=*/true);
  std::vector<llama_token> tokens(static_cast<size_t>(std::max(0, n)));
  if (n <= 0 || llama_tokenize(vocab, prompt.data(), len, tokens.data(), n, true, true) < 0) {
    return Status(ErrorCode::kInvalidArgument, "the prompt could not be tokenized");
  }
  return tokens;
}

Result<std::string> LlamaEngine::ApplyTemplate(const std::vector<ChatMessage>& messages) const {
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  for (const auto& m : messages) chat.push_back({m.role.c_str(), m.content.c_str()});
  std::string out(4096, '\0');
  int n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, out.data(),
                                    static_cast<int32_t>(out.size()));
  if (n > static_cast<int>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, out.data(), n);
  }
  if (n < 0) {
    return Status(ErrorCode::kFailedPrecondition,
                  "model '" + model_.name + "': llama.cpp does not support its chat template; set "
                                            "options.chat_template (e.g. chatml or llama3)");
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<ChatResult> LlamaEngine::Chat(const std::vector<ChatMessage>& messages, const ChatOptions& options,
                                     const TokenCallback& on_token, const CancellationToken* cancel) {
  if (messages.empty()) return Status(ErrorCode::kInvalidArgument, "no messages to answer");
  auto sampler = MakeSampler(options);
  if (!sampler.ok()) return sampler.status();
  Slot* slot = AcquireSlot();
  if (slot == nullptr) return Status(ErrorCode::kUnavailable, "llama model '" + model_.name + "' is not loaded");
  struct Return {
    LlamaEngine* engine;
    Slot* slot;
    ~Return() {
      slot->cancel.store(nullptr);
      engine->ReleaseSlot(slot);
    }
  } give_back{this, slot};
  auto prompt = ApplyTemplate(messages);
  if (!prompt.ok()) return prompt.status();
  auto tokens = Tokenize(*prompt);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() >= n_ctx_) {
    return Status(ErrorCode::kInvalidArgument, "the prompt is " + std::to_string(tokens->size()) +
                                                   " tokens; model '" + model_.name + "' holds " +
                                                   std::to_string(n_ctx_) + " (options.context)");
  }
  give_back.slot = slot = SwapForBestSlot(slot, *tokens);

  llama_context* ctx = slot->ctx;
  slot->cancel.store(cancel);
  const int threads = GgmlThreads(options.threads);
  llama_set_n_threads(ctx, threads, threads);
  // The prompt cache, as llama-server's cache_prompt: a conversation's next turn repeats
  // the earlier turns, whose keys and values the slot still holds.
  slot->KeepFirst(ReusablePrefix(slot->cached, *tokens));

  ChatResult result;
  result.prompt_tokens = static_cast<int>(tokens->size());
  result.cached_prompt_tokens = static_cast<int>(slot->cached.size());
  auto cancelled = [&] { return cancel != nullptr && cancel->cancelled(); };
  // Evaluates tokens into the KV cache (the prompt in batches, or one sampled token):
  // 0, kStopped when cancelled (llama.cpp aborts between graph steps), or llama.cpp's
  // failure code.
  constexpr int kStopped = 2;  // llama_decode's "aborted"
  auto evaluate = [&](llama_token* first, size_t count) {
    for (size_t at = 0; at < count; at += options_.batch) {
      const auto n = static_cast<int32_t>(std::min<size_t>(options_.batch, count - at));
      if (const int rc = llama_decode(ctx, llama_batch_get_one(first + at, n)); rc != 0) {
        slot->KeepFirst(slot->cached.size());
        return rc;
      }
      slot->cached.insert(slot->cached.end(), first + at, first + at + n);
      if (cancelled()) return kStopped;
    }
    return 0;
  };
  auto stopped = [&](int rc) -> Result<ChatResult> {
    if (rc != kStopped) return Status(ErrorCode::kInternal, "llama.cpp failed to decode (code " + std::to_string(rc) + ")");
    result.finish_reason = "cancelled";
    return result;
  };
  if (const int rc = evaluate(tokens->data() + slot->cached.size(), tokens->size() - slot->cached.size())) {
    return stopped(rc);
  }

  const llama_vocab* vocab = llama_model_get_vocab(llama_model_);
  StopFilter filter(options.stop);
  auto emit = [&](const std::string& text) {
    if (text.empty()) return true;
    result.text += text;
    return on_token(text);
  };
  result.finish_reason = "length";
  while (options.max_tokens <= 0 || result.tokens < options.max_tokens) {
    if (slot->cached.size() >= n_ctx_) break;  // the context is full
    llama_token token = llama_sampler_sample(sampler->get(), ctx, -1);
    if (llama_vocab_is_eog(vocab, token)) {
      result.finish_reason = "stop";
      break;
    }
    ++result.tokens;
    if (!emit(filter.Push(TokenPiece(vocab, token))) || cancelled()) {
      result.finish_reason = "cancelled";
      return result;
    }
    if (filter.stopped()) {
      result.finish_reason = "stop";
      return result;
    }
    if (const int rc = evaluate(&token, 1)) return stopped(rc);
  }
  if (!emit(filter.Finish())) result.finish_reason = "cancelled";
  return result;
}

}  // namespace harvis

#endif  // HARVIS_WITH_LLAMA

namespace harvis {

void RegisterLlamaEngine(EngineRegistry& registry) {
  registry.Register("llama", [](const ModelConfig& model) -> Result<std::unique_ptr<Engine>> {
#if HARVIS_WITH_LLAMA
    if (model.kind != ModelKind::kLlm) {
      return Status(ErrorCode::kInvalidArgument, "model '" + model.name + "': engine 'llama' is a language model (kind: llm)");
    }
    auto options = LlamaOptions::Parse(model);
    if (!options.ok()) return options.status();
    return std::unique_ptr<Engine>(new LlamaEngine(model, *options));
#else
    return Status(ErrorCode::kFailedPrecondition,
                  "model '" + model.name + "': engine 'llama' is not in this build (HARVIS_WITH_LLAMA=OFF)");
#endif
  });
}

}  // namespace harvis
