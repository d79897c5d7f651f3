// Harvis's whisper engine against whisper.cpp's whisper-server (issue 4 benchmark).
//
//   whisper_server_bench [--seconds S] [--threads T] [--requests N] [--layers L] [--state D]
//
// Both sides get the same generated random-weight model, the same audio (S seconds of a
// synthetic voice-like signal), T threads per request, greedy decoding with one decoder
// (whisper-server: -bo 1) and temperature fallback on. Measured: median latency with one
// client (N sequential requests after a warm-up) and throughput with four concurrent
// clients (4 x N requests). Harvis is called in process (parallel: 4, one state per
// client); whisper-server over HTTP on loopback with a WAV upload, which adds its HTTP and
// WAV-decoding cost (well under a millisecond here) to each request.
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

// Runs `request` once to warm up, `n` times sequentially, then 4 x n times from 4 threads.
Figures Measure(int n, const std::function<bool()>& request) {
  if (!request()) return {};
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (!request()) return {};
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  Figures f;
  f.latency_ms = ms[ms.size() / 2];
  std::atomic<bool> ok{true};
  const auto t0 = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < n; ++i) ok = request() && ok;
    });
  }
  for (auto& t : clients) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  f.throughput_rps = ok ? 4.0 * n / s : 0;
  return f;
}

Figures BenchHarvis(const std::string& model_path, const std::vector<float>& pcm, const Args& a) {
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
    return {};
  }
  harvis::TranscribeOptions options;
  options.threads = a.threads;
  return Measure(a.requests, [&] { return engine.Transcribe(pcm, options).ok(); });
}

// A loopback port that was free a moment ago (bind to port 0, read it, close).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

// Starts a server (`args`) on `port`, waits until GET `ready_path` answers 200, measures
// multipart POSTs of `items` to `post_path`, then stops it.
Figures ServeAndMeasure(harvis::bench::ChildProcess::Options process, int port, const std::string& ready_path,
                        const std::string& post_path, const httplib::MultipartFormDataItems& items, const Args& a) {
  const std::string name = process.args.at(0);
  harvis::bench::ChildProcess child(std::move(process));
  httplib::Client probe("127.0.0.1", port);
  probe.set_read_timeout(2, 0);
  bool up = false;
  for (int i = 0; i < 300 && !up && child.Alive(); ++i) {  // up to 30 s for the model load
    auto res = probe.Get(ready_path);
    up = res && res->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!up) {
    std::fprintf(stderr, "%s did not start\n", name.c_str());
    return {};
  }
  Figures f = Measure(a.requests, [&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(600, 0);
    auto res = c.Post(post_path, items);
    return res && res->status == 200;
  });
  child.Stop(SIGTERM, std::chrono::seconds(10));
  return f;
}

Figures BenchServer(const std::string& model_path, const std::string& wav, const Args& a) {
  const int port = FreePort();
  harvis::bench::ChildProcess::Options process;
  process.args = {WHISPER_SERVER_BIN, "-m", model_path, "-t", std::to_string(a.threads), "-bo", "1", "-l", "en",
                  "--host", "127.0.0.1", "--port", std::to_string(port)};
  return ServeAndMeasure(process, port, "/", "/inference",
                         {{"file", wav, "audio.wav", "audio/wav"}, {"response_format", "json", "", ""}}, a);
}

// `harvis serve` with the same model, over HTTP (/v1/audio/transcriptions): the
// like-for-like comparison with whisper-server, scheduler and audio decoding included.
Figures BenchHarvisServer(const std::string& model_path, const std::string& wav, const Args& a) {
  const int port = FreePort();
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
  return ServeAndMeasure(process, port, "/readyz", "/v1/audio/transcriptions",
                         {{"file", wav, "audio.wav", "audio/wav"}, {"model", "bench", "", ""}, {"language", "en", "", ""}},
                         a);
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

  std::fprintf(stderr, "benchmarking the harvis whisper engine...\n");
  const Figures harvis = BenchHarvis(model_path, pcm, a);
  std::fprintf(stderr, "benchmarking harvis serve...\n");
  const Figures harvis_http = BenchHarvisServer(model_path, wav, a);
  std::fprintf(stderr, "benchmarking whisper-server...\n");
  const Figures server = BenchServer(model_path, wav, a);
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
