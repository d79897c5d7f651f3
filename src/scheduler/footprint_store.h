// Persistence of measured footprints and load times (issue 3), so that the next start
// predicts better: a small JSON file in the state dir,
//   {"version": 1, "models": {"<name>": {"bytes": N, "load_seconds": S, "loads": K}}}
// written atomically (temporary file + rename).
//
// Thread safety: thread-safe; one mutex, a leaf in the lock order. File I/O happens
// under it, so callers must not hold the scheduler mutex while calling Save().
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"

namespace harvis {

struct ModelStats {
  std::uint64_t bytes = 0;
  double load_seconds = 0;
  long loads = 0;
};

class FootprintStore {
 public:
  // `path` empty: kept in memory only.
  explicit FootprintStore(std::string path);

  // Reads the file; a missing file is not an error, a malformed one is (and is ignored).
  Status Load();
  std::optional<ModelStats> Get(const std::string& model) const;
  // Records a successful load's measurement (in memory; Save() writes the file).
  void Record(const std::string& model, std::uint64_t bytes, double load_seconds);
  Status Save() const;
  const std::string& path() const { return path_; }

  // "<state_dir>/model-stats.json".
  static std::string PathIn(const std::string& state_dir);

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, ModelStats> stats_;
};

}  // namespace harvis
