// Text to speech, time to the first byte of audio: `harvis serve` (built-in `espeak`
// model, POST /v1/audio/speech, WAV) against the `espeak-ng --stdout` command.
//
//   tts_first_byte_bench [ROUNDS]      # default 5
//
// The same sentence on both sides. harvis: started once (temp config, port 0, built-in
// models), one warm-up request (loads the model), then per round one request timed from
// sending it to the first body byte (httplib content receiver) and to the end of the body.
// espeak-ng: per round fork/exec of `espeak-ng --stdout SENTENCE` with stdout on a pipe,
// timed from before fork() to the first byte read from the pipe and to EOF (the process
// start-up and voice loading are part of its time; that is what running the command costs).
// The two alternate which goes first in each round.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace hb = harvis::bench;

constexpr const char* kSentence =
    "The quick brown fox jumps over the lazy dog, and then it rests in the warm afternoon sun.";

double Ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Sample {
  double first_ms = 0, total_ms = 0;
  size_t bytes = 0;
  bool ok = false;
};

Sample Harvis(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/audio/speech";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = nlohmann::json{{"model", "espeak"}, {"input", kSentence}, {"response_format", "wav"}}.dump();
  Sample s;
  Clock::time_point first{};
  req.content_receiver = [&](const char*, size_t n, uint64_t, uint64_t) {
    if (s.bytes == 0 && n > 0) first = Clock::now();
    s.bytes += n;
    return true;
  };
  const auto t0 = Clock::now();
  auto res = client.send(req);
  const auto t1 = Clock::now();
  s.ok = res && res->status == 200 && s.bytes > 44;
  if (!s.ok) std::fprintf(stderr, "harvis: %s\n", res ? std::to_string(res->status).c_str() : "no response");
  s.first_ms = Ms(t0, first), s.total_ms = Ms(t0, t1);
  return s;
}

Sample EspeakNg() {
  Sample s;
  int fds[2];
  if (pipe(fds) != 0) return s;
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]), close(fds[1]);
    execlp(ESPEAK_NG_BIN, ESPEAK_NG_BIN, "--stdout", kSentence, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) break;
    if (s.bytes == 0) s.first_ms = Ms(t0, Clock::now());
    s.bytes += static_cast<size_t>(n);
  }
  s.total_ms = Ms(t0, Clock::now());
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  s.ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && s.bytes > 44;
  if (!s.ok) std::fprintf(stderr, "espeak-ng failed (status %d, %zu bytes)\n", status, s.bytes);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  if (rounds <= 0) {
    std::fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
    return 2;
  }
  const auto dir = hb::MakeTempDir("harvis_tts_first_byte_");
  const auto config = dir / "harvis.yaml";
  std::ofstream(config) << "server: {host: 127.0.0.1, port: 0}\n"
                        << "state_dir: " << (dir / "state").string() << "\n"
                        << "models_dir: " << (dir / "models").string() << "\n";
  hb::ChildProcess::Options options;
  options.args = {HARVIS_BIN, "serve", "--config", config.string()};
  options.unset_env = hb::kHarvisEnvironment;
  options.log = dir / "harvis.log";
  hb::ChildProcess harvis(options);
  const int port = harvis.WaitForPort(std::chrono::seconds(30));
  if (port == 0) {
    std::fprintf(stderr, "harvis did not start:\n%s\n", harvis.Log().c_str());
    return 1;
  }
  const Sample warm_h = Harvis(port), warm_e = EspeakNg();  // loads espeak; caches the binary
  if (!warm_h.ok || !warm_e.ok) return 1;

  std::vector<double> h_first, h_total, e_first, e_total;
  size_t h_bytes = warm_h.bytes, e_bytes = warm_e.bytes;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 2; ++k) {
      const bool harvis_turn = (r + k) % 2 == 0;
      const Sample s = harvis_turn ? Harvis(port) : EspeakNg();
      if (!s.ok) return 1;
      (harvis_turn ? h_first : e_first).push_back(s.first_ms);
      (harvis_turn ? h_total : e_total).push_back(s.total_ms);
    }
    std::fprintf(stderr, "round %d/%d: harvis first byte %.1f ms, espeak-ng %.1f ms\n", r + 1, rounds,
                 h_first.back(), e_first.back());
  }
  harvis.Stop(SIGTERM, std::chrono::seconds(5));
  std::filesystem::remove_all(dir);

  const double hf = hb::Percentile(h_first, 50), ef = hb::Percentile(e_first, 50);
  std::printf("tts_first_byte_bench: %d rounds; \"%s\"; WAV bytes harvis %zu, espeak-ng %zu; load average %s\n",
              rounds, kSentence, h_bytes, e_bytes, hb::LoadAverage().c_str());
  std::printf("| system | first byte p50 (ms) | whole audio p50 (ms) |\n|---|---|---|\n");
  std::printf("| harvis serve, espeak (HTTP) | %.1f | %.1f |\n", hf, hb::Percentile(h_total, 50));
  std::printf("| espeak-ng --stdout (command) | %.1f | %.1f |\n", ef, hb::Percentile(e_total, 50));
  std::printf("first byte harvis / espeak-ng: %.3f\n", hf / ef);
  return 0;
}
