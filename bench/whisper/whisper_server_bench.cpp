// Harvis's whisper engine against whisper.cpp's whisper-server (issue 4 benchmark).
//
//   whisper_server_bench [--seconds S] [--threads T] [--requests N] [--layers L] [--state D]
//
// Both sides get the same generated random-weight model, the same audio (S seconds of a
// synthetic voice-like signal), T threads per request, greedy decoding with one decoder
// (whisper-server: -bo 1) and temperature fallback on. Three systems: Harvis's engine in
// process (parallel: 4, one state per client), `harvis serve` over HTTP and whisper-server
// over HTTP (both WAV uploads on loopback). All three run at once and are measured
// interleaved (see MeasureInterleaved): median latency of N single requests, and
// throughput of N bursts of four concurrent clients.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"
#include "common/server_child.h"
#include "engines/stt/whisper/whisper_engine.h"
#include "whisper_model_generator.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  double seconds = 3.0;
  int threads = 2;
  int requests = 5;
  int layers = 2;
  int state = 256;
};

struct Figures {
  double latency_ms = 0;      // median, one client
  double throughput_rps = 0;  // four clients
};

std::vector<float> Speech(double seconds) {
  const size_t n = static_cast<size_t>(seconds * 16000);
  std::vector<float> pcm(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    const double f0 = 140.0 + 20.0 * std::sin(2 * M_PI * 3.0 * t);
    double v = 0;
    for (int h = 1; h <= 4; ++h) v += std::sin(2 * M_PI * f0 * h * t) / h;
    pcm[i] = static_cast<float>(0.2 * (0.5 + 0.5 * std::sin(2 * M_PI * 4.0 * t)) * v);
  }
  return pcm;
}

// 16 kHz mono 16-bit PCM WAV.
std::string Wav(const std::vector<float>& pcm) {
  std::string out;
  auto put = [&](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const std::uint32_t data = static_cast<std::uint32_t>(pcm.size() * 2);
  out += "RIFF";
  put(36 + data, 4);
  out += "WAVEfmt ";
  put(16, 4), put(1, 2), put(1, 2), put(16000, 4), put(32000, 4), put(2, 2), put(16, 2);
  out += "data";
  put(data, 4);
  for (float s : pcm) {
    put(static_cast<std::uint16_t>(static_cast<std::int16_t>(std::clamp(s, -1.0f, 1.0f) * 32767)), 2);
  }
  return out;
}

// One system under test: a function that sends it one request (true on success).
struct System {
  std::string name;
  std::function<bool()> request;
};

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Measures every system interleaved, so that the drifting load of a shared machine hits
// them alike: after one warm-up request each, `n` rounds of one timed request per system
// (the order rotating), then `n` rounds of a burst per system of 4 concurrent clients x 2
// requests. Latency: the median of the single requests; throughput: all burst requests
// over all burst time. A system that fails a request gets zeros.
std::vector<Figures> MeasureInterleaved(const std::vector<System>& systems, int n) {
  const size_t k = systems.size();
  std::vector<bool> ok(k, true);
  for (size_t i = 0; i < k; ++i) ok[i] = systems[i].request();
  std::vector<std::vector<double>> ms(k);
  for (int r = 0; r < n; ++r) {
    for (size_t j = 0; j < k; ++j) {
      const size_t i = (r + j) % k;
      const auto t0 = Clock::now();
      ok[i] = ok[i] && systems[i].request();
      ms[i].push_back(MsSince(t0));
    }
  }
  std::vector<double> burst_ms(k, 0);
  for (int r = 0; r < n; ++r) {
    for (size_t j = 0; j < k; ++j) {
      const size_t i = (r + j) % k;
      std::atomic<bool> all{true};
      const auto t0 = Clock::now();
      std::vector<std::thread> clients;
      for (int c = 0; c < 4; ++c) clients.emplace_back([&] { all = systems[i].request() && systems[i].request() && all; });
      for (auto& t : clients) t.join();
      burst_ms[i] += MsSince(t0);
      ok[i] = ok[i] && all;
    }
  }
  std::vector<Figures> out(k);
  for (size_t i = 0; i < k; ++i) {
    if (!ok[i]) continue;
    std::sort(ms[i].begin(), ms[i].end());
    out[i].latency_ms = ms[i][ms[i].size() / 2];
    out[i].throughput_rps = 8.0 * n / (burst_ms[i] / 1000.0);
  }
  return out;
}

std::function<bool()> Upload(int port, const std::string& path, httplib::MultipartFormDataItems items) {
  return [port, path, items = std::move(items)] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(600, 0);
    auto res = c.Post(path, items);
    return res && res->status == 200;
  };
}

std::unique_ptr<harvis::bench::ChildProcess> StartWhisperServer(const std::string& model_path, int port,
                                                                const Args& a) {
  harvis::bench::ChildProcess::Options process;
  process.args = {WHISPER_SERVER_BIN, "-m", model_path, "-t", std::to_string(a.threads), "-bo", "1", "-l", "en",
                  "--host", "127.0.0.1", "--port", std::to_string(port)};
  return harvis::bench::StartServer(process, port, "/");
}

// `harvis serve` with the same model, over HTTP (/v1/audio/transcriptions): the
// like-for-like comparison with whisper-server, scheduler and audio decoding included.
std::unique_ptr<harvis::bench::ChildProcess> StartHarvis(const std::string& model_path, int port, const Args& a) {
  const auto dir = std::filesystem::path(model_path).parent_path();
  const std::string config = (dir / "harvis.yaml").string();
  {
    std::ofstream out(config);
    // All cores, as whisper-server gets: the default 80% CPU budget would let only one
    // call run at a time on a 2-core machine (floor(2 x 0.8) = 1 core).
    out << "budgets: { cpu_fraction: 1.0 }\nstate_dir: " << (dir / "state").string()
        << "\nmodels:\n  - { name: bench, kind: stt, engine: whisper, device: cpu, parallel: 4, path: " << model_path
        << ", options: { threads: " << a.threads << " } }\n";
  }
  harvis::bench::ChildProcess::Options process;
  process.args = {HARVIS_BIN, "serve", "--config", config, "--host", "127.0.0.1", "--port", std::to_string(port)};
  process.unset_env = harvis::bench::kHarvisEnvironment;
  return harvis::bench::StartServer(process, port, "/readyz");
}

bool ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const double v = std::atof(argv[i + 1]);
    if (k == "--seconds") a.seconds = v;
    else if (k == "--threads") a.threads = static_cast<int>(v);
    else if (k == "--requests") a.requests = static_cast<int>(v);
    else if (k == "--layers") a.layers = static_cast<int>(v);
    else if (k == "--state") a.state = static_cast<int>(v);
    else return false;
  }
  return (argc % 2) == 1 && a.seconds > 0 && a.threads > 0 && a.requests > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::fprintf(stderr, "usage: %s [--seconds S] [--threads T] [--requests N] [--layers L] [--state D]\n", argv[0]);
    return 2;
  }
  if (!harvis::bench::BaselineServerBuilt(WHISPER_SERVER_BIN)) return 2;
  const auto dir = std::filesystem::temp_directory_path() / ("harvis_whisper_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  harvis::test_tools::WhisperModelSpec spec;
  spec.layers = a.layers;
  spec.state = a.state;
  spec.heads = std::max(1, a.state / 64);
  const std::string model_path = (dir / "model.bin").string();
  std::string error;
  if (!harvis::test_tools::WriteWhisperModel(model_path, spec, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const std::vector<float> pcm = Speech(a.seconds);
  const std::string wav = Wav(pcm);

  // In process: the engine itself (parallel 4: one whisper state per client).
  harvis::ModelConfig model;
  model.name = "bench";
  model.engine = "whisper";
  model.path = model_path;
  model.parallel = 4;
  harvis::WhisperEngine engine(model, {});
  harvis::LoadRequest load;
  load.path = model_path;
  if (auto st = engine.Load(load); !st.ok()) {
    std::fprintf(stderr, "harvis load failed: %s\n", st.message().c_str());
    return 1;
  }
  harvis::TranscribeOptions options;
  options.threads = a.threads;
  const int harvis_port = harvis::bench::FreePort(), server_port = harvis::bench::FreePort();
  auto harvis_serve = StartHarvis(model_path, harvis_port, a);
  auto whisper_server = StartWhisperServer(model_path, server_port, a);
  if (!harvis_serve || !whisper_server) return 1;
  const httplib::MultipartFormDataItems wav_part = {{"file", wav, "audio.wav", "audio/wav"}};
  auto harvis_items = wav_part, server_items = wav_part;
  harvis_items.push_back({"model", "bench", "", ""});
  harvis_items.push_back({"language", "en", "", ""});
  server_items.push_back({"response_format", "json", "", ""});
  std::fprintf(stderr, "benchmarking (interleaved)...\n");
  const auto figures = MeasureInterleaved(
      {{"engine", [&] { return engine.Transcribe(pcm, options).ok(); }},
       {"harvis serve", Upload(harvis_port, "/v1/audio/transcriptions", harvis_items)},
       {"whisper-server", Upload(server_port, "/inference", server_items)}},
      a.requests);
  const Figures &harvis = figures[0], &harvis_http = figures[1], &server = figures[2];
  harvis_serve.reset();
  whisper_server.reset();
  std::filesystem::remove_all(dir);

  std::printf("model: generated, %d layers, state %d; audio %.1f s; %d threads/request; %d requests\n",
              a.layers, a.state, a.seconds, a.threads, a.requests);
  std::printf("| %-22s | %22s | %26s |\n", "system", "latency, 1 client (ms)", "throughput, 4 clients (r/s)");
  std::printf("| %-22s | %22.1f | %26.2f |\n", "harvis whisper engine", harvis.latency_ms, harvis.throughput_rps);
  std::printf("| %-22s | %22.1f | %26.2f |\n", "harvis serve (HTTP)", harvis_http.latency_ms,
              harvis_http.throughput_rps);
  std::printf("| %-22s | %22.1f | %26.2f |\n", "whisper-server (HTTP)", server.latency_ms, server.throughput_rps);
  if (server.latency_ms > 0 && server.throughput_rps > 0 && harvis_http.latency_ms > 0) {
    std::printf("harvis serve / whisper-server: latency %.3f (target <= 1.05), throughput %.2f (target >= 1)\n",
                harvis_http.latency_ms / server.latency_ms, harvis_http.throughput_rps / server.throughput_rps);
  }
  return harvis.latency_ms > 0 && harvis_http.latency_ms > 0 && server.latency_ms > 0 ? 0 : 1;
}
