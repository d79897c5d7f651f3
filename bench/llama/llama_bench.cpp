// The in-process LLM (engine llama, issue 11) against llama-server built from the same
// llama.cpp source, with the same random-weight GGUF, threads, context, prompt and greedy
// decoding; and a reload from the RAM tier against a cold load from disk.
//
//   generation: `harvis serve` and llama-server, both up, one request at a time in
//               alternating order, over HTTP (/v1/chat/completions, streamed): time to
//               first token (TTFT) and decode tokens/s (tokens after the first / time
//               after the first).
//   reload:     LlamaEngine::Load from a fresh, uncached copy of the file (fsync,
//               POSIX_FADV_DONTNEED, drop_caches when allowed) against Load from what
//               ExportWeights() gave the RAM tier: the model kept loaded on the CPU, and
//               its bytes alone (parsed again, as for a GPU).
//
// Usage: llama_bench [--threads T] [--tokens N] [--rounds R] [--pause-ms P] [--embd E] [--layers L]
// Needs llama-server: cmake --build --preset release --target deps_servers
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"
#include "common/page_cache.h"
#include "common/server_child.h"
#include "engines/llm/llama/llama_engine.h"
#include "llama_model_generator.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace hb = harvis::bench;
namespace fs = std::filesystem;

struct Args {
  int threads = 2;
  int tokens = 64;
  int rounds = 5;
  int pause_ms = 300;  // after each request (Measure)
  std::uint32_t embd = 512;
  std::uint32_t layers = 8;
};

struct Generation {
  std::vector<double> ttft_ms, tokens_per_s;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One streamed chat completion: TTFT and decode rate from the content chunks' arrival.
bool MeasureOnce(int port, const Args& a, Generation& out) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);
  const json body = {{"model", "bench"}, {"stream", true}, {"temperature", 0}, {"max_tokens", a.tokens},
                     {"messages", json::array({{{"role", "user"}, {"content", "Tell me about the sea and ships."}}})}};
  const auto start = Clock::now();
  Clock::time_point first, last;
  int chunks = 0;
  hb::SseParser parser([&](const std::string&, const std::string& data) {
    const json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.contains("choices") || j["choices"].empty()) return true;  // e.g. [DONE]
    const json& delta = j["choices"][0]["delta"];
    if (delta.contains("content") && delta["content"].is_string() && !delta["content"].get<std::string>().empty()) {
      last = Clock::now();
      if (chunks++ == 0) first = last;
    }
    return true;
  });
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    return parser.Feed(std::string_view(data, size));
  };
  auto res = client.send(req);
  if (!res || res->status != 200 || chunks < 2) {
    std::fprintf(stderr, "request failed (%s, %d chunks)\n", res ? std::to_string(res->status).c_str() : "no answer",
                 chunks);
    return false;
  }
  out.ttft_ms.push_back(Ms(first - start));
  out.tokens_per_s.push_back((chunks - 1) / std::chrono::duration<double>(last - first).count());
  return true;
}

// Both servers are up and warm (the first request loads the model); the rounds alternate
// which goes first, so that a change in the machine's load hits both alike. A pause after
// each request lets the server that answered go idle: llama-server's threads spin (ggml's
// poll) for a while after a request, and on 2 cores that spin would slow whichever
// request came next.
bool Measure(int harvis_port, int server_port, const Args& a, Generation& harvis, Generation& server) {
  auto measure = [&](int port, Generation& out) {
    const bool ok = MeasureOnce(port, a, out);
    std::this_thread::sleep_for(std::chrono::milliseconds(a.pause_ms));
    return ok;
  };
  Generation warmup;
  if (!measure(harvis_port, warmup) || !measure(server_port, warmup)) return false;
  for (int r = 0; r < a.rounds; ++r) {
    const bool harvis_first = r % 2 == 0;
    if (!measure(harvis_first ? harvis_port : server_port, harvis_first ? harvis : server) ||
        !measure(harvis_first ? server_port : harvis_port, harvis_first ? server : harvis)) {
      return false;
    }
  }
  return true;
}

std::unique_ptr<hb::ChildProcess> StartLlamaServer(const std::string& model, int port, const Args& a) {
  hb::ChildProcess::Options process;
  process.args = {HARVIS_LLAMA_SERVER_BIN, "-m", model, "-t", std::to_string(a.threads), "-tb",
                  std::to_string(a.threads), "-c", "2048", "-np", "1", "--host", "127.0.0.1", "--port",
                  std::to_string(port), "--alias", "bench"};
  process.log = fs::path(model).parent_path() / "llama-server.log";
  return hb::StartServer(process, port, "/health");
}

std::unique_ptr<hb::ChildProcess> StartHarvis(const std::string& model, int port, const Args& a) {
  const auto dir = fs::path(model).parent_path();
  const std::string config = (dir / "harvis.yaml").string();
  std::ofstream(config) << "budgets: { cpu_fraction: 1.0 }\nstate_dir: " << (dir / "state").string()
                        << "\nmodels:\n  - { name: bench, kind: llm, engine: llama, device: cpu, path: " << model
                        << ", options: { threads: " << a.threads << ", context: 2048 } }\n";
  hb::ChildProcess::Options process;
  process.args = {HARVIS_BIN, "serve", "--config", config, "--host", "127.0.0.1", "--port", std::to_string(port)};
  process.unset_env = hb::kHarvisEnvironment;
  process.log = dir / "harvis.log";
  return hb::StartServer(process, port, "/readyz");
}

// The engine alone, in process (no HTTP, no scheduler): the same prompt and decoding.
bool MeasureInProcess(const std::string& model, const Args& a, Generation& out) {
  harvis::ModelConfig m;
  m.name = "bench";
  m.kind = harvis::ModelKind::kLlm;
  m.engine = "llama";
  m.path = model;
  m.options["context"] = "2048";
  auto engine = harvis::DefaultEngineRegistry().Create(m);
  if (!engine.ok() || !(*engine)->Load(harvis::LoadRequest{{}, model}).ok()) return false;
  harvis::ChatOptions options;
  options.temperature = 0;
  options.max_tokens = a.tokens;
  options.threads = a.threads;
  for (int r = 0; r <= a.rounds; ++r) {  // round 0 warms up
    const auto start = Clock::now();
    Clock::time_point first, last;
    int pieces = 0;
    auto result = (*engine)->Chat({{"user", "Tell me about the sea and ships."}}, options, [&](std::string_view) {
      last = Clock::now();
      if (pieces++ == 0) first = last;
      return true;
    }, nullptr);
    if (!result.ok() || pieces < 2) return false;
    if (r == 0) continue;
    out.ttft_ms.push_back(Ms(first - start));
    out.tokens_per_s.push_back((pieces - 1) / std::chrono::duration<double>(last - first).count());
  }
  return true;
}

struct ReloadTimes {
  double cold = 0, ram = 0, ram_bytes_only = 0;  // medians, ms
};

// Cold disk, the RAM tier (onto the CPU: the kept model), and the RAM tier's bytes alone
// (what a reload onto a GPU starts from: the memory file parsed again).
ReloadTimes MeasureReload(const std::string& model, const Args& a, bool* dropped) {
  harvis::ModelConfig m;
  m.name = "bench";
  m.kind = harvis::ModelKind::kLlm;
  m.engine = "llama";
  auto created = harvis::DefaultEngineRegistry().Create(m);
  if (!created.ok()) return {};
  auto& engine = **created;
  std::ifstream in(model, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  std::vector<double> cold, ram, bytes_only;
  *dropped = true;
  for (int r = 0; r < a.rounds; ++r) {
    const std::string fresh = (fs::path(model).parent_path() / ("cold-" + std::to_string(r) + ".gguf")).string();
    hb::WriteUncached(fresh, bytes);
    *dropped = hb::DropCaches() && *dropped;
    harvis::LoadRequest load;
    load.path = fresh;
    auto t0 = Clock::now();
    if (!engine.Load(load).ok()) return {};
    cold.push_back(Ms(Clock::now() - t0));
    auto weights = engine.ExportWeights();
    engine.Unload();
    fs::remove(fresh);
    harvis::LoadRequest from_ram;
    from_ram.weights = &*weights;
    t0 = Clock::now();
    if (!engine.Load(from_ram).ok()) return {};
    ram.push_back(Ms(Clock::now() - t0));
    engine.Unload();
    weights->loaded.reset();
    t0 = Clock::now();
    if (!engine.Load(from_ram).ok()) return {};
    bytes_only.push_back(Ms(Clock::now() - t0));
    engine.Unload();
  }
  return {hb::Percentile(cold, 50), hb::Percentile(ram, 50), hb::Percentile(bytes_only, 50)};
}

bool ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--threads") a.threads = v;
    else if (k == "--tokens") a.tokens = v;
    else if (k == "--rounds") a.rounds = v;
    else if (k == "--pause-ms") a.pause_ms = v;
    else if (k == "--embd") a.embd = static_cast<std::uint32_t>(v);
    else if (k == "--layers") a.layers = static_cast<std::uint32_t>(v);
    else return false;
  }
  return argc % 2 == 1 && a.threads > 0 && a.tokens > 1 && a.rounds > 0 && a.pause_ms >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::fprintf(stderr, "usage: %s [--threads T] [--tokens N] [--rounds R] [--pause-ms P] [--embd E] [--layers L]\n", argv[0]);
    return 2;
  }
  if (!hb::BaselineServerBuilt(HARVIS_LLAMA_SERVER_BIN)) return 2;
  const fs::path dir = fs::temp_directory_path() / ("harvis_llama_bench_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string model = (dir / "bench.gguf").string();
  harvis::testing::LlamaModelSpec spec;
  spec.vocab_path = HARVIS_LLAMA_TEST_VOCAB;
  spec.n_embd = a.embd;
  spec.n_layer = a.layers;
  spec.n_ff = a.embd * 11 / 4;
  std::string error;
  if (!harvis::testing::WriteRandomLlamaModel(spec, model, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "model: %s (%.0f MB, %u layers, embd %u), %d threads, %d tokens, %d rounds\n", model.c_str(),
               fs::file_size(model) / 1e6, a.layers, a.embd, a.threads, a.tokens, a.rounds);

  Generation harvis_gen, server_gen;
  const int server_port = hb::FreePort();
  auto server = StartLlamaServer(model, server_port, a);
  const int harvis_port = hb::FreePort();
  auto harvis = StartHarvis(model, harvis_port, a);
  if (!server || !harvis || !Measure(harvis_port, server_port, a, harvis_gen, server_gen)) {
    std::fprintf(stderr, "generation measurement failed; logs in %s\n", dir.c_str());
    return 1;
  }
  server.reset();
  harvis.reset();
  Generation engine_gen;
  if (!MeasureInProcess(model, a, engine_gen)) {
    std::fprintf(stderr, "the in-process measurement failed\n");
    return 1;
  }
  bool dropped = false;
  const ReloadTimes reload = MeasureReload(model, a, &dropped);
  fs::remove_all(dir);

  const double h_ttft = hb::Percentile(harvis_gen.ttft_ms, 50), s_ttft = hb::Percentile(server_gen.ttft_ms, 50);
  const double h_tps = hb::Percentile(harvis_gen.tokens_per_s, 50), s_tps = hb::Percentile(server_gen.tokens_per_s, 50);
  std::printf("| system                 | TTFT ms (p50) | decode tokens/s (p50) |\n");
  std::printf("|------------------------|---------------|-----------------------|\n");
  std::printf("| harvis serve (llama)   | %13.1f | %21.1f |\n", h_ttft, h_tps);
  std::printf("| llama-server           | %13.1f | %21.1f |\n", s_ttft, s_tps);
  std::printf("| harvis engine, no HTTP | %13.1f | %21.1f |\n", hb::Percentile(engine_gen.ttft_ms, 50),
              hb::Percentile(engine_gen.tokens_per_s, 50));
  std::printf("harvis / llama-server: tokens/s %.3f (target >= 1.0), TTFT %.3f (target <= 1.05)\n", h_tps / s_tps,
              h_ttft / s_ttft);
  std::printf("\n| load                   | ms (p50) |\n|------------------------|----------|\n");
  std::printf("| cold disk              | %8.1f |\n| RAM tier               | %8.1f |\n", reload.cold, reload.ram);
  std::printf("| RAM tier, bytes alone  | %8.1f |\n", reload.ram_bytes_only);
  std::printf("RAM tier / cold disk: %.3f (target <= 0.3); bytes alone (a GPU reload's start): %.3f%s\n",
              reload.ram / reload.cold, reload.ram_bytes_only / reload.cold,
              dropped ? "" : "  [drop_caches not permitted: cold = fadvise(DONTNEED) only]");
  return 0;
}
