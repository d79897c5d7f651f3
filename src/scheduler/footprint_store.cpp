#include "scheduler/footprint_store.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace harvis {

FootprintStore::FootprintStore(std::string path) : path_(std::move(path)) {}

std::string FootprintStore::PathIn(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / "model-stats.json").string();
}

Status FootprintStore::Load() {
  if (path_.empty()) return Status::Ok();
  std::ifstream in(path_);
  if (!in) return Status::Ok();  // first start
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("models") ||
      !doc["models"].is_object()) {
    return Status(ErrorCode::kInvalidArgument, path_ + ": not a model statistics file; ignored");
  }
  std::lock_guard lock(mu_);
  for (const auto& [name, entry] : doc["models"].items()) {
    if (!entry.is_object()) continue;
    ModelStats s;
    s.bytes = entry.value("bytes", std::uint64_t{0});
    s.load_seconds = entry.value("load_seconds", 0.0);
    s.loads = entry.value("loads", 0L);
    stats_[name] = s;
  }
  return Status::Ok();
}

std::optional<ModelStats> FootprintStore::Get(const std::string& model) const {
  std::lock_guard lock(mu_);
  auto it = stats_.find(model);
  if (it == stats_.end()) return std::nullopt;
  return it->second;
}

void FootprintStore::Record(const std::string& model, std::uint64_t bytes, double load_seconds) {
  std::lock_guard lock(mu_);
  ModelStats& s = stats_[model];
  s.bytes = bytes;
  s.load_seconds = load_seconds;
  ++s.loads;
}

Status FootprintStore::Save() const {
  if (path_.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  nlohmann::json doc;
  doc["version"] = 1;
  doc["models"] = nlohmann::json::object();
  for (const auto& [name, s] : stats_) {
    doc["models"][name] = {{"bytes", s.bytes}, {"load_seconds", s.load_seconds}, {"loads", s.loads}};
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status(ErrorCode::kUnavailable, "cannot write " + tmp);
    out << doc.dump(2) << "\n";
    if (!out) return Status(ErrorCode::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Status(ErrorCode::kUnavailable, "cannot replace " + path_);
  }
  return Status::Ok();
}

}  // namespace harvis
