#include "engines/llm/ollama/ollama_tenant.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <thread>

namespace harvis {
namespace {

constexpr std::uint64_t kMinOverhead = 256 * kMiB;

std::uint64_t Overhead(std::uint64_t weights) { return std::max(kMinOverhead, weights / 20); }

TenantModel ToTenant(const OllamaRunningModel& m) {
  return TenantModel{m.name, m.size_vram, m.size, m.expires_at, m.expires_at_unix};
}

const OllamaRunningModel* FindRunning(const std::vector<OllamaRunningModel>& models,
                                      const std::string& name) {
  for (const auto& m : models) {
    if (SameOllamaModel(m.name, name)) return &m;
  }
  return nullptr;
}

}  // namespace

Status WaitUntilUnloaded(const OllamaClient& client, const std::string& name, int polls,
                         Duration interval, std::vector<OllamaRunningModel>* last) {
  for (int i = 0; i < std::max(1, polls); ++i) {
    if (i > 0) std::this_thread::sleep_for(interval);
    auto running = client.ListRunning();
    if (!running.ok()) return running.status();
    const bool present = FindRunning(*running, name) != nullptr;
    if (last != nullptr) *last = std::move(running).value();
    if (!present) return Status::Ok();
  }
  return Status(ErrorCode::kTimeout, "Ollama at " + client.url() + " still holds '" + name +
                                         "' after " + std::to_string(polls) + " checks of /api/ps");
}

double BitsPerWeight(std::string_view quantization_level) {
  static const std::map<std::string, double> kBits = {
      {"F32", 32},     {"F16", 16},      {"BF16", 16},     {"Q8_0", 8.5},    {"Q6_K", 6.5625},
      {"Q5_K_M", 5.69}, {"Q5_K_S", 5.54}, {"Q5_1", 6.0},    {"Q5_0", 5.5},    {"Q4_K_M", 4.85},
      {"Q4_K_S", 4.58}, {"Q4_1", 5.0},    {"Q4_0", 4.5},    {"IQ4_XS", 4.25}, {"IQ4_NL", 4.5},
      {"Q3_K_L", 4.27}, {"Q3_K_M", 3.91}, {"Q3_K_S", 3.5},  {"IQ3_XXS", 3.06}, {"Q2_K", 3.35},
  };
  std::string key(quantization_level);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  auto it = kBits.find(key);
  return it == kBits.end() ? 16.0 : it->second;
}

std::uint64_t EstimateOllamaBytes(const OllamaModelInfo& info, std::uint64_t context_tokens) {
  if (info.parameter_count == 0) return 0;
  const auto weights = static_cast<std::uint64_t>(static_cast<double>(info.parameter_count) *
                                                  BitsPerWeight(info.quantization_level) / 8.0);
  std::uint64_t context = context_tokens;
  if (info.context_length > 0) context = std::min(context, info.context_length);
  std::uint64_t kv = weights / 8;
  if (info.block_count > 0 && info.head_count > 0 && info.head_count_kv > 0 &&
      info.embedding_length > 0) {
    const std::uint64_t head_dim = info.embedding_length / info.head_count;
    kv = 2 * info.block_count * context * info.head_count_kv * head_dim * 2;
  }
  return weights + kv + Overhead(weights);
}

std::uint64_t EstimateOllamaBytesFromFile(std::uint64_t file_bytes) {
  return file_bytes + file_bytes / 8 + Overhead(file_bytes);
}

ModelConfig DiscoveredOllamaModel(const std::string& name) {
  ModelConfig m;
  m.name = name;
  m.kind = ModelKind::kLlm;
  m.engine = "ollama";
  return m;
}

OllamaTenant::OllamaTenant(std::shared_ptr<const OllamaClient> client, OllamaTenantOptions options)
    : client_(std::move(client)), options_(options) {}

Result<std::vector<TenantModel>> OllamaTenant::Refresh() {
  auto running = client_->ListRunning();
  if (!running.ok()) return running.status();
  std::vector<TenantModel> models;
  for (const auto& m : *running) models.push_back(ToTenant(m));
  std::lock_guard lock(mu_);
  last_ = TenantSnapshot{models, std::chrono::steady_clock::now(), true};
  return models;
}

TenantSnapshot OllamaTenant::Last() const {
  std::lock_guard lock(mu_);
  return last_;
}

Status OllamaTenant::Evict(const std::string& name) {
  if (Status st = client_->Unload(name); !st.ok()) {
    // Unloading a model Ollama does not have: nothing to evict.
    if (st.code() != ErrorCode::kNotFound) return st;
  }
  std::vector<OllamaRunningModel> last;
  Status st = WaitUntilUnloaded(*client_, name, options_.confirm_polls, options_.confirm_interval, &last);
  if (!st.ok()) return st;  // still listed, or /api/ps failed: the cache stays as it was
  std::vector<TenantModel> models;
  for (const auto& m : last) models.push_back(ToTenant(m));
  {
    std::lock_guard lock(mu_);
    last_ = TenantSnapshot{std::move(models), std::chrono::steady_clock::now(), true};
  }
  return Status::Ok();
}

Status OllamaTenant::Preload(const std::string& name, Duration keep_alive) {
  if (Status st = client_->Load(name, keep_alive); !st.ok()) return st;
  auto refreshed = Refresh();
  return refreshed.ok() ? Status::Ok() : refreshed.status();
}

Result<std::uint64_t> OllamaTenant::PredictBytes(const std::string& name) {
  auto running = Refresh();
  if (!running.ok()) return running.status();
  for (const auto& m : *running) {
    if (SameOllamaModel(m.name, name)) return m.bytes_vram > 0 ? m.bytes_vram : m.bytes_total;
  }
  auto info = client_->Show(name);
  if (!info.ok() && info.status().code() == ErrorCode::kNotFound) return info.status();
  if (info.ok()) {
    const std::uint64_t bytes = EstimateOllamaBytes(*info, options_.context_tokens);
    if (bytes > 0) return bytes;
  }
  return PredictFromTags(name);
}

Result<std::uint64_t> OllamaTenant::PredictFromTags(const std::string& name) const {
  auto tags = client_->ListTags();
  if (!tags.ok()) return tags.status();
  for (const auto& t : *tags) {
    if (SameOllamaModel(t.name, name) && t.size > 0) return EstimateOllamaBytesFromFile(t.size);
  }
  return Status(ErrorCode::kNotFound, "Ollama at " + client_->url() + " has no model '" + name + "'");
}

Result<std::vector<std::string>> OllamaTenant::DiscoverModels() const {
  auto tags = client_->ListTags();
  if (!tags.ok()) return tags.status();
  std::vector<std::string> names;
  for (const auto& t : *tags) {
    if (!t.name.empty()) names.push_back(t.name);
  }
  return names;
}

}  // namespace harvis
