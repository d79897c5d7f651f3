#include "resources/restarts.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "resources/atomic_file.h"
#include "resources/text_file.h"

namespace harvis::resources {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCountsFile = "restarts";
constexpr const char* kMarkerFile = "running.marker";

struct Counts {
  uint64_t restarts = 0;
  uint64_t unclean_shutdowns = 0;
};

// nullopt when the file does not exist (the first start ever); a malformed file counts
// as zeros, with a warning, since a start clearly happened before.
std::optional<Counts> ReadCounts(const fs::path& file) {
  std::error_code error;
  if (!fs::exists(file, error)) return std::nullopt;
  const auto text = ReadTextFile(file);
  const auto restarts = text ? FindKeyedValue(*text, "restarts") : std::nullopt;
  const auto unclean = text ? FindKeyedValue(*text, "unclean_shutdowns") : std::nullopt;
  if (!restarts || !unclean) {
    spdlog::warn("restart counts in {} are unreadable or malformed; counting from zero",
                 file.string());
  }
  return Counts{restarts.value_or(0), unclean.value_or(0)};
}

std::string FormatCounts(const Counts& counts) {
  return "restarts " + std::to_string(counts.restarts) + "\nunclean_shutdowns " +
         std::to_string(counts.unclean_shutdowns) + "\n";
}

Status PrepareStateDir(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir, error)) {
    return Status(ErrorCode::kFailedPrecondition,
                  "state dir " + dir.string() + " cannot be created: " +
                      (error ? error.message() : "not a directory"));
  }
  return Status::Ok();
}

}  // namespace

Result<RestartInfo> RecordStart(const std::string& state_dir) {
  const fs::path dir(state_dir);
  if (Status prepared = PrepareStateDir(dir); !prepared.ok()) return prepared;

  RestartInfo info;
  const std::optional<Counts> previous = ReadCounts(dir / kCountsFile);
  Counts counts = previous.value_or(Counts{});
  info.first_start = !previous.has_value();
  if (!info.first_start) ++counts.restarts;
  std::error_code error;
  info.previous_run_unclean = fs::exists(dir / kMarkerFile, error);
  if (info.previous_run_unclean) ++counts.unclean_shutdowns;
  info.restarts = counts.restarts;
  info.unclean_shutdowns = counts.unclean_shutdowns;

  if (Status saved = WriteFileAtomically(dir / kCountsFile, FormatCounts(counts));
      !saved.ok()) {
    return Status(saved.code(), "state dir " + state_dir + " is not writable: " +
                                    saved.message());
  }
  const std::string marker = "pid " + std::to_string(::getpid()) + "\n";
  if (Status marked = WriteFileAtomically(dir / kMarkerFile, marker); !marked.ok()) {
    return Status(marked.code(), "state dir " + state_dir + " is not writable: " +
                                     marked.message());
  }
  if (info.previous_run_unclean) {
    spdlog::warn("the previous run did not shut down cleanly ({} unclean shutdowns, {} "
                 "restarts recorded in {})",
                 info.unclean_shutdowns, info.restarts, state_dir);
  }
  return info;
}

void RecordCleanShutdown(const std::string& state_dir) {
  std::error_code error;
  fs::remove(fs::path(state_dir) / kMarkerFile, error);
  if (error) {
    spdlog::warn("cannot remove the running marker in {}: {}", state_dir, error.message());
  }
}

}  // namespace harvis::resources
