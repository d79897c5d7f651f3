#include "standin_state.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace standin {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kDefaultKeepAlive = std::chrono::minutes(5);

// RFC 3339 in UTC with microseconds, as Go writes it; works past 2262 (Ollama's forever).
std::string FormatTime(std::chrono::sys_seconds t, int micros) {
  using namespace std::chrono;
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  char out[48];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), micros);
  return out;
}

// Wall-clock time of a steady-clock instant; `forever`: now + 292 years, as Ollama shows.
std::string ExpiresAt(bool forever, Clock::time_point expires) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto when = forever ? floor<seconds>(now) + hours(24 * 365 * 292)
                      : floor<seconds>(now + duration_cast<system_clock::duration>(expires - Clock::now()));
  auto micros = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  return FormatTime(sys_seconds(when.time_since_epoch()), static_cast<int>(micros));
}

}  // namespace

std::string NowRfc3339() { return ExpiresAt(false, Clock::now()); }

std::optional<FaultMode> ParseFaultMode(const std::string& text) {
  static const std::map<std::string, FaultMode> kModes = {
      {"none", FaultMode::kNone},   {"oom", FaultMode::kOom},           {"garbage", FaultMode::kGarbage},
      {"html", FaultMode::kHtml},   {"truncate", FaultMode::kTruncate}, {"slow", FaultMode::kSlow}};
  auto it = kModes.find(text);
  if (it == kModes.end()) return std::nullopt;
  return it->second;
}

StandinState::StandinState(std::vector<InstalledModel> models, std::uint64_t vram_budget)
    : installed_(std::move(models)), vram_budget_(vram_budget) {}

const InstalledModel* StandinState::Find(const std::string& name) const {
  std::string full = name.find(':') == std::string::npos ? name + ":latest" : name;
  for (const auto& m : installed_) {
    if (m.name == name || m.name == full) return &m;
  }
  return nullptr;
}

void StandinState::Begin(const std::string& name) {
  const InstalledModel* model = Find(name);
  if (model == nullptr) return;
  std::lock_guard lock(mu_);
  auto it = resident_.find(model->name);
  if (it == resident_.end()) {
    EvictForLocked(model->size);
    std::uint64_t used = 0;
    for (const auto& [n, r] : resident_) used += r.size_vram;
    Resident r;
    r.size = model->size;
    // What does not fit stays in host RAM (partial offload), as Ollama does.
    r.size_vram = vram_budget_ == 0 ? model->size
                                    : std::min(model->size, vram_budget_ > used ? vram_budget_ - used : 0);
    it = resident_.emplace(model->name, r).first;
    ++loads_;
  }
  ++it->second.active;
  it->second.last_used = Clock::now();
}

void StandinState::End(const std::string& name, std::optional<milliseconds> keep_alive) {
  const InstalledModel* model = Find(name);
  if (model == nullptr) return;
  std::lock_guard lock(mu_);
  auto it = resident_.find(model->name);
  if (it == resident_.end()) return;
  Resident& r = it->second;
  r.active = std::max(0, r.active - 1);
  r.last_used = Clock::now();
  const milliseconds ka = keep_alive.value_or(kDefaultKeepAlive);
  r.forever = ka.count() < 0;
  r.expires = r.forever ? Clock::time_point::max() : Clock::now() + ka;
  if (ka.count() == 0 && r.active == 0) UnloadLocked(model->name);
}

void StandinState::ReapExpired() {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  std::vector<std::string> expired;
  for (const auto& [name, r] : resident_) {
    if (r.active == 0 && !r.forever && r.expires <= now) expired.push_back(name);
  }
  for (const auto& name : expired) UnloadLocked(name);
}

void StandinState::EvictForLocked(std::uint64_t need) {
  if (vram_budget_ == 0) return;
  for (;;) {
    std::uint64_t used = 0;
    for (const auto& [n, r] : resident_) used += r.size_vram;
    if (used + need <= vram_budget_) return;
    auto victim = resident_.end();
    for (auto it = resident_.begin(); it != resident_.end(); ++it) {
      if (it->second.active > 0) continue;
      if (victim == resident_.end() || it->second.last_used < victim->second.last_used) victim = it;
    }
    if (victim == resident_.end()) return;  // everything busy: the newcomer is offloaded
    ++evictions_;
    UnloadLocked(victim->first);
  }
}

void StandinState::UnloadLocked(const std::string& name) {
  if (resident_.erase(name) > 0) ++unloads_;
}

json StandinState::RunningJson() const {
  std::lock_guard lock(mu_);
  json models = json::array();
  for (const auto& [name, r] : resident_) {
    const Clock::time_point expires = r.active > 0 ? Clock::now() + kDefaultKeepAlive : r.expires;
    models.push_back({{"name", name},
                      {"model", name},
                      {"size", r.size},
                      {"size_vram", r.size_vram},
                      {"digest", "sha256:standin"},
                      {"details", {{"format", "gguf"}, {"family", "llama"}}},
                      {"expires_at", ExpiresAt(r.forever, expires)}});
  }
  return {{"models", models}};
}

void StandinState::SetFault(const Fault& fault) {
  std::lock_guard lock(mu_);
  fault_ = fault;
}

Fault StandinState::TakeFault() {
  std::lock_guard lock(mu_);
  if (fault_.mode == FaultMode::kNone || fault_.count == 0) return Fault{};
  Fault taken = fault_;
  if (fault_.count > 0 && --fault_.count == 0) fault_.mode = FaultMode::kNone;
  return taken;
}

void StandinState::RecordRequest(const std::string& path, const json& body) {
  std::lock_guard lock(mu_);
  ++requests_[path];
  if (path == "/api/chat" || path == "/api/generate") last_request_ = {{"path", path}, {"body", body}};
}

void StandinState::NoteStreamEnd(bool completed, bool client_gone) {
  std::lock_guard lock(mu_);
  if (completed) ++streams_completed_;
  if (!completed && !client_gone) ++streams_cut_;
  if (client_gone) ++disconnects_;
}

json StandinState::StatsJson() const {
  std::lock_guard lock(mu_);
  return {{"requests", requests_},          {"loads", loads_},
          {"unloads", unloads_},            {"evictions", evictions_},
          {"streams_completed", streams_completed_}, {"streams_cut", streams_cut_},
          {"disconnects", disconnects_}};
}

json StandinState::LastRequest() const {
  std::lock_guard lock(mu_);
  return last_request_.is_null() ? json::object() : last_request_;
}

void StandinState::Reset() {
  std::lock_guard lock(mu_);
  resident_.clear();
  fault_ = Fault{};
  last_request_ = nullptr;
  requests_.clear();
  loads_ = unloads_ = evictions_ = 0;
  streams_completed_ = streams_cut_ = disconnects_ = 0;
}

}  // namespace standin
