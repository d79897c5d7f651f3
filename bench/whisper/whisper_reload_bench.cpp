// Whisper model reload from the RAM tier against a load from disk (issue 4 benchmark).
//
//   whisper_reload_bench [--rounds N] [--layers L] [--state D] [--threads T]   # 5, 4, 512, 1
//
// One generated random-weight model, loaded by harvis's WhisperEngine directly. Each round
// times three loads (the order rotating between rounds):
//   cold disk:   a FRESH copy of the model file (new path; written, fsync'ed, then
//                posix_fadvise(DONTNEED), and "3" written to /proc/sys/vm/drop_caches
//                when allowed), so the bytes come from the disk, not the page cache;
//   page cache:  Load from that same path again (its pages are now cached);
//   RAM tier:    Load with request.weights = the blob ExportWeights() returned before
//                Unload(), as the scheduler does when it evicts a model.
// mincore() tells how much of the fresh copy was still resident before the cold load.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bench_process.h"
#include "common/page_cache.h"
#include "engines/stt/whisper/whisper_engine.h"
#include "whisper_model_generator.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace hb = harvis::bench;

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5, layers = 4, state = 512, threads = 1;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    const int v = i + 1 < argc ? std::atoi(argv[i + 1]) : 0;
    int* slot = k == "--rounds" ? &rounds : k == "--layers" ? &layers : k == "--state" ? &state
              : k == "--threads" ? &threads : nullptr;
    if (!slot || v <= 0) {
      std::fprintf(stderr, "usage: %s [--rounds N] [--layers L] [--state D] [--threads T]\n", argv[0]);
      return 2;
    }
    *slot = v;
  }
  harvis::test_tools::WhisperModelSpec spec;
  spec.layers = layers;
  spec.state = state;
  spec.heads = std::max(1, state / 64);
  const std::vector<std::uint8_t> bytes = harvis::test_tools::GenerateWhisperModel(spec);
  const auto dir = hb::MakeTempDir("harvis_whisper_reload_");

  harvis::ModelConfig model;
  model.name = "bench";
  model.engine = "whisper";
  harvis::WhisperEngine engine(model, {});
  auto load = [&](const std::string& path, const harvis::WeightBlob* blob) -> double {
    harvis::LoadRequest req;
    req.path = path;
    req.weights = blob;
    req.threads = threads;
    const auto t0 = Clock::now();
    const auto st = engine.Load(req);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!st.ok()) {
      std::fprintf(stderr, "load failed: %s\n", st.message().c_str());
      std::exit(1);
    }
    return ms;
  };

  std::vector<double> cold, warm, ram, resident;
  bool fadvise_ok = true, drop_ok = true;
  std::optional<harvis::WeightBlob> blob;  // before round 1 (RAM tier first in odd rounds)
  {
    const std::string seed = (dir / "seed.bin").string();
    hb::WriteUncached(seed, bytes);
    load(seed, nullptr);
    blob = engine.ExportWeights();
    engine.Unload();
    std::filesystem::remove(seed);
  }
  if (!blob || !blob->data) {
    std::fprintf(stderr, "ExportWeights() returned no bytes\n");
    return 1;
  }
  for (int r = 0; r < rounds; ++r) {
    const std::string path = (dir / ("model_" + std::to_string(r) + ".bin")).string();
    auto disk = [&] {
      fadvise_ok = hb::WriteUncached(path, bytes) && fadvise_ok;
      drop_ok = hb::DropCaches() && drop_ok;
      resident.push_back(hb::ResidentFraction(path));
      cold.push_back(load(path, nullptr));
      engine.Unload();
      warm.push_back(load(path, nullptr));
      blob = engine.ExportWeights();  // the RAM tier keeps these bytes on eviction
      engine.Unload();
    };
    auto ram_tier = [&] {
      ram.push_back(load("", &*blob));
      engine.Unload();
    };
    if (r % 2 == 0) disk(), ram_tier();
    else ram_tier(), disk();
    std::filesystem::remove(path);
    std::fprintf(stderr, "round %d/%d: cold %.1f ms, page cache %.1f ms, RAM tier %.1f ms\n", r + 1, rounds,
                 cold.back(), warm.back(), ram.back());
  }
  std::filesystem::remove_all(dir);

  const double c = hb::Percentile(cold, 50), w = hb::Percentile(warm, 50), m = hb::Percentile(ram, 50);
  std::printf("whisper_reload_bench: generated model, %d layers, state %d; %d rounds; load threads %d; "
              "load average %s\n", layers, state, rounds, threads, hb::LoadAverage().c_str());
  std::printf("fadvise(DONTNEED): %s; drop_caches: %s; resident before cold load p50 %.1f%% (max %.1f%%)\n",
              fadvise_ok ? "ok" : "FAILED", drop_ok ? "ok" : "failed (not permitted)",
              100 * hb::Percentile(resident, 50), 100 * hb::Percentile(resident, 100));
  std::printf("| file size (MiB) | cold disk p50 (ms) | page cache p50 (ms) | RAM tier p50 (ms) "
              "| RAM tier / cold | RAM tier / page cache |\n|---|---|---|---|---|---|\n");
  std::printf("| %.1f | %.1f | %.1f | %.1f | %.3f | %.3f |\n", bytes.size() / 1048576.0, c, w, m, m / c, m / w);
  return 0;
}
