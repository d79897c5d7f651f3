// Time to first audio (TTFA) of a voice turn: the streaming POST /api/voice against
// POST /api/mic-chat (whole answer first, then speech), on the real `harvis serve` with
// its built-in models (pocketsphinx, espeak, flite) and the Ollama stand-in as the LLM.
//
//   voice_ttfa_bench [ROUNDS] [--stt-ms MS] [--llama FILE.gguf] [--silence-ms MS]
//                                                     # default 5 rounds, pocketsphinx
//
// --stt-ms MS replaces pocketsphinx by a simulated STT model that takes MS ms per
// request (the speed of Whisper on a GPU, which this machine does not have); its
// transcript is "simulated transcript of N samples".
// --llama FILE replaces the Ollama stand-in by the in-process LLM (engine llama) on that
// GGUF, placed with the STT model on one simulated GPU (gpu0, 1 GiB; with --stt-ms the
// STT is there too), and samples GET /api/resources during the rounds: the bench then
// also reports the most that any device had reserved against its budget, and fails if
// a reservation ever exceeded one. A random-weight model from
// `build/release/tests/unit/llama/make_llama_model FILE --ctx 512` answers until its
// context is full (it never says an end token), so its turns are long.
//
// The question is spoken by harvis itself (flite, 16 kHz). After one warm-up turn per
// route (models loaded), ROUNDS rounds run both routes one after the other, alternating
// which goes first. TTFA:
//   /api/voice     from sending the request to the first complete `event: audio`
//                  (total: to `event: done`);
//   /api/mic-chat  from sending the request to the JSON response plus the download of its
//                  audio_path (GET /api/audio/{id}): the first audio a client can play
//                  (total: the same).
//   /v1/realtime   the question streamed at real time over the WebSocket (then silence),
//                  the turn ended by the server's VAD (--silence-ms MS sets its
//                  silence_duration_ms): from the end of the speech to the first
//                  response.audio.delta (total: to response.done).
//   /v1/realtime push-to-talk: the same without turn detection; the client commits and
//                  sends response.create when the speech ends, as /api/voice's client
//                  uploads when it ends.
// Prints a markdown table and the ratios voice / mic-chat and realtime / voice (each
// target <= 0.35), and the floor of any route: the LLM's first sentence and its speech
// (first_audio_ms - stt_ms of /api/voice), which no transcription or turn detection
// can shorten.
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"
#include "realtime_turn.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace hb = harvis::bench;

constexpr const char* kQuestion = "What is the weather like today?";

double Ms(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Sample {
  double ttfa_ms = 0;
  double total_ms = 0;
  json timings;  // /api/voice: the `done` event's server-side timings
};

httplib::Client MakeClient(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(120, 0);
  c.set_write_timeout(30, 0);
  return c;
}

bool WaitReady(int port, hb::ChildProcess& harvis) {
  auto client = MakeClient(port);
  for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
    if (auto res = client.Get("/readyz"); res && res->status == 200) return true;
    if (!harvis.Alive()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::optional<std::string> Speak(int port, const std::string& text) {
  auto client = MakeClient(port);
  const json body = {{"model", "flite"}, {"input", text}, {"sample_rate", 16000}};
  auto res = client.Post("/v1/audio/speech", body.dump(), "application/json");
  if (!res || res->status != 200) {
    std::fprintf(stderr, "POST /v1/audio/speech failed: %s\n",
                 res ? (std::to_string(res->status) + " " + res->body).c_str() : httplib::to_string(res.error()).c_str());
    return std::nullopt;
  }
  return res->body;
}

// One streaming voice turn; TTFA at the first complete `audio` event.
std::optional<Sample> VoiceTurn(int port, const std::string& wav) {
  const hb::MultipartBody form = hb::BuildMultipart({{"file", wav, "question.wav", "audio/wav"}});
  auto client = MakeClient(port);
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/voice";
  req.headers = {{"Content-Type", form.content_type}, {"Accept", "text/event-stream"}};
  req.body = form.body;
  std::optional<Clock::time_point> first_audio, done;
  std::string failure, raw;
  json timings;
  hb::SseParser parser([&](const std::string& event, const std::string& data) {
    if (event == "audio" && !first_audio) first_audio = Clock::now();
    if (event == "done") {
      done = Clock::now();
      const json j = json::parse(data, nullptr, false);
      if (!j.is_discarded() && j.contains("timings")) timings = j["timings"];
    }
    if (event == "error") failure = data;
    return true;
  });
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (raw.size() < 2000) raw.append(data, std::min<size_t>(n, 2000 - raw.size()));
    return parser.Feed(std::string_view(data, n));
  };
  const auto t0 = Clock::now();
  auto res = client.send(req);
  if (!res || res->status != 200 || !failure.empty() || !first_audio || !done) {
    std::fprintf(stderr, "POST /api/voice failed: %s %s\n",
                 res ? std::to_string(res->status).c_str() : httplib::to_string(res.error()).c_str(),
                 failure.empty() ? raw.substr(0, 500).c_str() : failure.c_str());
    return std::nullopt;
  }
  return Sample{Ms(t0, *first_audio), Ms(t0, *done), timings};
}

// One mic-chat turn; the first audio is playable once audio_path is downloaded.
std::optional<Sample> MicChatTurn(int port, const std::string& wav) {
  const hb::MultipartBody form = hb::BuildMultipart({{"file", wav, "question.wav", "audio/wav"}});
  auto client = MakeClient(port);
  const auto t0 = Clock::now();
  auto res = client.Post("/api/mic-chat", form.body, form.content_type.c_str());
  if (!res || res->status != 200) {
    std::fprintf(stderr, "POST /api/mic-chat failed: %s %s\n",
                 res ? std::to_string(res->status).c_str() : httplib::to_string(res.error()).c_str(),
                 res ? res->body.substr(0, 500).c_str() : "");
    return std::nullopt;
  }
  const json body = json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.contains("audio_path") || !body["audio_path"].is_string()) {
    std::fprintf(stderr, "POST /api/mic-chat: no audio_path in %s\n", res->body.substr(0, 500).c_str());
    return std::nullopt;
  }
  const std::string path = body["audio_path"];
  auto audio = client.Get(path.c_str());
  const auto t1 = Clock::now();
  if (!audio || audio->status != 200 || audio->body.empty()) {
    std::fprintf(stderr, "GET %s failed: %s\n", path.c_str(),
                 audio ? std::to_string(audio->status).c_str() : httplib::to_string(audio.error()).c_str());
    return std::nullopt;
  }
  return Sample{Ms(t0, t1), Ms(t0, t1), {}};
}

int g_silence_ms = 0;  // --silence-ms

std::optional<Sample> RealtimeVoiceTurn(int port, const std::string& wav) {
  auto t = hb::RealtimeTurn(port, wav, g_silence_ms);
  if (!t) return std::nullopt;
  return Sample{t->first_audio_ms, t->done_ms, {}};
}

std::optional<Sample> PushToTalkTurn(int port, const std::string& wav) {
  auto t = hb::RealtimeTurn(port, wav, hb::kPushToTalk);
  if (!t) return std::nullopt;
  return Sample{t->first_audio_ms, t->done_ms, {}};
}

struct Route {
  const char* name;
  std::optional<Sample> (*turn)(int, const std::string&);
  std::vector<double> ttfa, total;
  std::map<std::string, std::vector<double>> server;  // server-side timings by name
};

struct Options {
  int rounds = 5;
  int stt_ms = 0;
  std::string llama;  // a GGUF: the in-process LLM on a simulated GPU instead of the stand-in
};

// The configuration: the built-in models, or with `stt_ms` > 0 a simulated STT model, and
// with `llama` the in-process LLM (and the STT) on one simulated GPU.
std::string Config(int standin_port, const std::filesystem::path& dir, const Options& o) {
  // With the in-process LLM, Ollama is an address where nothing answers: no tenant.
  const int ollama_port = o.llama.empty() ? standin_port : 9;
  std::string yaml = "server: {host: 127.0.0.1, port: 0}\n"
                     "ollama: {url: \"http://127.0.0.1:" + std::to_string(ollama_port) + "\"}\n"
                     "state_dir: " + (dir / "state").string() + "\nmodels_dir: " + (dir / "models").string() + "\n";
  if (o.stt_ms == 0 && o.llama.empty()) return yaml;
  const std::string stt = o.stt_ms > 0 ? "fast-stt" : "pocketsphinx";
  const std::string llm = o.llama.empty() ? "llama3.2:3b" : "local";
  if (!o.llama.empty()) yaml += "devices: [{id: gpu0, kind: gpu, memory: 1GiB, simulated: true}]\n";
  yaml += "defaults: {stt: " + stt + ", llm: \"" + llm + "\"}\nmodels:\n"
          "  - {name: espeak, kind: tts, engine: espeak}\n"
          "  - {name: flite, kind: tts, engine: flite}\n";
  if (o.stt_ms > 0) {
    yaml += "  - {name: fast-stt, kind: stt, engine: simulated, options: {infer_time: " + std::to_string(o.stt_ms) +
            "ms}}\n";
  } else {
    yaml += "  - {name: pocketsphinx, kind: stt, engine: pocketsphinx}\n";
  }
  if (o.llama.empty()) {
    yaml += "  - {name: \"llama3.2:3b\", kind: llm, engine: ollama}\n";
  } else {
    yaml += "  - {name: local, kind: llm, engine: llama, device: gpu0, path: \"" + o.llama +
            "\", options: {context: 2048}}\n";
  }
  return yaml;
}

// Samples GET /api/resources until stopped: the largest reservation / budget seen per
// device, and how many samples had a reservation over its budget.
class BudgetWatch {
 public:
  explicit BudgetWatch(int port) : thread_([this, port] { Run(port); }) {}
  ~BudgetWatch() {
    stop_ = true;
    thread_.join();
  }
  int violations() const { return violations_; }
  int samples() const { return samples_; }
  const std::map<std::string, double>& peak() const { return peak_; }

 private:
  void Run(int port) {
    auto client = MakeClient(port);
    while (!stop_) {
      if (auto res = client.Get("/api/resources"); res && res->status == 200) {
        const json j = json::parse(res->body, nullptr, false);
        for (const auto& d : j.is_discarded() ? json::array() : j.value("devices", json::array())) {
          const double budget = d.value("budget_bytes", 0.0), reserved = d.value("reserved_bytes", 0.0);
          if (budget <= 0) continue;
          const std::string id = d.value("id", "?");
          peak_[id] = std::max(peak_[id], reserved / budget);
          if (reserved > budget) ++violations_;
        }
        ++samples_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::atomic<bool> stop_{false};
  int violations_ = 0, samples_ = 0;
  std::map<std::string, double> peak_;
  std::thread thread_;
};

int Run(const Options& o, const std::filesystem::path& dir) {
  const int rounds = o.rounds, stt_ms = o.stt_ms;
  hb::ChildProcess::Options standin_options;
  standin_options.args = {STANDIN_BIN, "--port", "0", "--models", "llama3.2:3b=2GiB",
                                     "--tokens-per-second", "30"};
  standin_options.log = dir / "standin.log";
  hb::ChildProcess standin(standin_options);
  const int standin_port = standin.WaitForPort(std::chrono::seconds(10));
  if (standin_port == 0) {
    std::fprintf(stderr, "the Ollama stand-in did not start:\n%s\n", standin.Log().c_str());
    return 1;
  }
  const auto config = dir / "harvis.yaml";
  std::ofstream(config) << Config(standin_port, dir, o);
  hb::ChildProcess::Options harvis_options;
  harvis_options.args = {HARVIS_BIN, "serve", "--config", config.string()};
  harvis_options.unset_env = hb::kHarvisEnvironment;
  harvis_options.log = dir / "harvis.log";
  hb::ChildProcess harvis(harvis_options);
  const int port = harvis.WaitForPort(std::chrono::seconds(30));
  if (port == 0 || !WaitReady(port, harvis)) {
    std::fprintf(stderr, "harvis did not start:\n%s\n", harvis.Log().c_str());
    return 1;
  }
  const auto wav = Speak(port, kQuestion);
  if (!wav) return 1;
  std::fprintf(stderr, "question: \"%s\" (%.2f s of flite speech, 16 kHz)\n", kQuestion, hb::WavSeconds(*wav));

  Route routes[] = {{"POST /api/voice (first audio event)", VoiceTurn, {}, {}, {}},
                    {"POST /api/mic-chat (+ GET audio_path)", MicChatTurn, {}, {}, {}},
                    {"GET /v1/realtime (from end of speech)", RealtimeVoiceTurn, {}, {}, {}},
                    {"GET /v1/realtime push-to-talk", PushToTalkTurn, {}, {}, {}}};
  constexpr int kRoutes = sizeof(routes) / sizeof(routes[0]);
  for (auto& r : routes) {  // warm-up: loads pocketsphinx, espeak and the LLM
    if (!r.turn(port, *wav)) return 1;
  }
  std::optional<BudgetWatch> watch;
  if (!o.llama.empty()) watch.emplace(port);
  for (int i = 0; i < rounds; ++i) {
    for (int k = 0; k < kRoutes; ++k) {
      Route& r = routes[(i + k) % kRoutes];
      auto s = r.turn(port, *wav);
      if (!s) {
        std::fprintf(stderr, "harvis log tail:\n%s\n", harvis.Log().c_str());
        return 1;
      }
      r.ttfa.push_back(s->ttfa_ms);
      r.total.push_back(s->total_ms);
      for (const auto& [k, v] : s->timings.items()) {
        if (v.is_number()) r.server[k].push_back(v.get<double>());
      }
    }
    std::fprintf(stderr, "round %d/%d: voice %.0f ms, mic-chat %.0f ms, realtime %.0f ms, push-to-talk %.0f ms\n",
                 i + 1, rounds, routes[0].ttfa.back(), routes[1].ttfa.back(), routes[2].ttfa.back(),
                 routes[3].ttfa.back());
  }

  const std::string stt = stt_ms > 0 ? "simulated " + std::to_string(stt_ms) + " ms" : "pocketsphinx";
  const std::string llm = o.llama.empty() ? "Ollama stand-in at 30 tokens/s"
                                          : "in-process llama (" + o.llama + ") on simulated gpu0";
  std::printf("voice_ttfa_bench: %d rounds, LLM = %s, STT %s, TTS espeak; load average %s\n\n", rounds,
              llm.c_str(), stt.c_str(), hb::LoadAverage().c_str());
  std::printf("| %-38s | %13s | %14s | %14s |\n", "route", "TTFA p50 (ms)", "TTFA mean (ms)", "total p50 (ms)");
  std::printf("|%s|%s|%s|%s|\n", std::string(40, '-').c_str(), std::string(15, '-').c_str(),
              std::string(16, '-').c_str(), std::string(16, '-').c_str());
  for (const auto& r : routes) {
    std::printf("| %-38s | %13.0f | %14.0f | %14.0f |\n", r.name, hb::Percentile(r.ttfa, 50), hb::Mean(r.ttfa),
                hb::Percentile(r.total, 50));
  }
  std::printf("\n/api/voice, server-side (the `done` event's timings, p50):");
  for (const char* k : {"stt_ms", "first_token_ms", "first_audio_ms", "total_ms"}) {
    std::printf(" %s %.0f", k, hb::Percentile(routes[0].server[k], 50));
  }
  std::printf("\n");
  const double ratio = hb::Percentile(routes[0].ttfa, 50) / hb::Percentile(routes[1].ttfa, 50);
  const double ratio_mean = hb::Mean(routes[0].ttfa) / hb::Mean(routes[1].ttfa);
  std::printf("\nTTFA voice / mic-chat: %.3f at p50, %.3f by mean (target <= 0.35): %s\n", ratio, ratio_mean,
              ratio <= 0.35 ? "met" : "NOT met");
  std::printf("TTFA realtime / mic-chat: %.3f at p50\n",
              hb::Percentile(routes[2].ttfa, 50) / hb::Percentile(routes[1].ttfa, 50));
  const double rt_ratio = hb::Percentile(routes[2].ttfa, 50) / hb::Percentile(routes[0].ttfa, 50);
  std::printf("TTFA realtime / voice: %.3f at p50, %.3f by mean (target <= 0.35): %s (VAD silence %s)\n", rt_ratio,
              hb::Mean(routes[2].ttfa) / hb::Mean(routes[0].ttfa), rt_ratio <= 0.35 ? "met" : "NOT met",
              g_silence_ms > 0 ? (std::to_string(g_silence_ms) + " ms").c_str() : "server default");
  const double ptt_ratio = hb::Percentile(routes[3].ttfa, 50) / hb::Percentile(routes[0].ttfa, 50);
  std::printf("TTFA realtime push-to-talk / voice: %.3f at p50 (target <= 0.35): %s\n", ptt_ratio,
              ptt_ratio <= 0.35 ? "met" : "NOT met");
  const double floor_ms = hb::Percentile(routes[0].server["first_audio_ms"], 50) -
                          hb::Percentile(routes[0].server["stt_ms"], 50);
  std::printf("floor of every route, the first sentence from the LLM and its speech: %.0f ms = %.3f of voice\n",
              floor_ms, floor_ms / hb::Percentile(routes[0].ttfa, 50));
  if (!watch) return 0;
  const int violations = watch->violations(), samples = watch->samples();
  std::printf("\nbudgets, %d samples of GET /api/resources during the rounds:", samples);
  for (const auto& [id, peak] : watch->peak()) std::printf(" %s peak %.0f%%", id.c_str(), 100 * peak);
  std::printf("; samples over a budget: %d\n", violations);
  watch.reset();
  return violations == 0 && samples > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    const std::string arg = argv[i];
    if (arg == "--stt-ms" && i + 1 < argc) {
      ok = (o.stt_ms = std::atoi(argv[++i])) > 0;
    } else if (arg == "--silence-ms" && i + 1 < argc) {
      ok = (g_silence_ms = std::atoi(argv[++i])) > 0;
    } else if (arg == "--llama" && i + 1 < argc) {
      o.llama = std::filesystem::absolute(argv[++i]).string();
      ok = std::filesystem::exists(o.llama);
    } else {
      ok = (o.rounds = std::atoi(argv[i])) > 0;
    }
  }
  if (!ok) {
    std::fprintf(stderr, "usage: %s [ROUNDS] [--stt-ms MS] [--llama FILE.gguf] [--silence-ms MS]   (default 5 rounds, pocketsphinx)\n",
                 argv[0]);
    return 2;
  }
  const auto dir = hb::MakeTempDir("harvis-ttfa");
  const int rc = Run(o, dir);
  if (rc == 0) {
    std::filesystem::remove_all(dir);
  } else {
    std::fprintf(stderr, "logs kept in %s\n", dir.c_str());
  }
  return rc;
}
