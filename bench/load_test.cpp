// Load test of the real `harvis serve`: many concurrent clients over a weighted mix of
// routes, with real CPU engines (pocketsphinx, espeak, flite), the Ollama stand-in as
// llama3.2:3b, and simulated models (sim-stt, sim-tts, sim-llm: 50 ms per call, 200 ms
// load). Each client is a closed loop: pick a route (fixed seed), send, wait, repeat.
//
//   load_test [--clients 64] [--seconds 60] [--warmup 10] [--idle 5] [--seed 42]
//             [--tokens-per-second 200] [--only SUBSTRING] [--keep]
//
// --only runs just the routes whose name (as printed in the table) contains SUBSTRING,
// e.g. --only "/api/voice" (to find which route an RSS growth or an error comes from).
//
// Every response must be 2xx or a deliberate 503 with Retry-After (the scheduler's queue
// holds 64, and engine calls wait at most queue_timeout for a slot or core: backpressure
// is allowed; inside a stream that already started it is an error event with code
// resource_exhausted, counted with the 503s). Anything else (another status, a 2xx
// stream that ends in another error event or without its final event, a connection error or timeout,
// harvis exiting) is an error; the first few are printed with route, status, request id
// and body. After a 503 the client waits 100 ms (not the whole Retry-After) and goes on.
// The clients start together and run without a pause through the warm-up (not counted)
// and the run; a request counts in the phase in which it was sent (req/s: requests sent
// during the run / its length; the requests in flight at its end are waited for). Harvis's
// RSS is read at the end of the warm-up (under load), right after the last request and
// after an idle pause (the audio store is capped at 16 MiB so that it cannot explain much
// growth). Exit status 1 when there was any error.
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace hb = harvis::bench;

struct Args {
  int clients = 64;
  double seconds = 60;
  double warmup = 10;
  double idle = 5;
  std::uint64_t seed = 42;
  double tokens_per_second = 200;
  bool keep = false;
  std::string only;  // run only the routes whose name contains this
};

// The result of one request as the client judges it.
struct Outcome {
  enum Kind { kOk, kSaturated, kError } kind = kOk;
  int status = 0;
  std::string detail;  // for errors: what was wrong and the body
  std::string request_id;
};

constexpr int kMaxBodyExcerpt = 400;

std::string Excerpt(const std::string& s) {
  return s.size() <= kMaxBodyExcerpt ? s : s.substr(0, kMaxBodyExcerpt) + "...";
}

Outcome Error(int status, std::string detail, std::string request_id = "") {
  return {Outcome::kError, status, std::move(detail), std::move(request_id)};
}

// Classifies the HTTP result; 2xx is kOk (the caller may still check the body).
Outcome Classify(const httplib::Result& res) {
  if (!res) return Error(0, "connection: " + httplib::to_string(res.error()));
  Outcome o;
  o.status = res->status;
  o.request_id = res->get_header_value("X-Request-Id");
  if (res->status >= 200 && res->status < 300) return o;
  if (res->status == 503 && res->has_header("Retry-After")) {
    o.kind = Outcome::kSaturated;
    return o;
  }
  o.kind = Outcome::kError;
  o.detail = (res->status == 503 ? "503 without Retry-After: " : "") + Excerpt(res->body);
  return o;
}

Outcome Fail(Outcome o, const std::string& why, const std::string& body) {
  o.kind = Outcome::kError;
  o.detail = why + ": " + Excerpt(body);
  return o;
}

// A stream that ended in an error event: backpressure (the in-stream form of a 503,
// sent when a stage waited past queue_timeout after the stream started) or an error.
Outcome StreamError(Outcome o, const std::string& why, const std::string& data) {
  if (data.find("\"resource_exhausted\"") != std::string::npos) {
    o.kind = Outcome::kSaturated;
    return o;
  }
  return Fail(o, why, data);
}

struct Shared {
  int port = 0;
  std::string speech_wav;  // ~3 s of real speech (flite, 16 kHz)
};

httplib::Client MakeClient(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(120, 0);
  c.set_write_timeout(30, 0);
  return c;
}

Outcome Get(const Shared& s, const char* path) { return Classify(MakeClient(s.port).Get(path)); }

// POSTs JSON; the response body goes to `out` when given.
Outcome PostJson(const Shared& s, const char* path, const json& body, std::string* out = nullptr) {
  auto res = MakeClient(s.port).Post(path, body.dump(), "application/json");
  Outcome o = Classify(res);
  if (out && res) *out = std::move(res->body);
  return o;
}

Outcome PostForm(const Shared& s, const char* path, const std::vector<hb::FormPart>& parts,
                 std::string* out = nullptr) {
  const auto form = hb::BuildMultipart(parts);
  auto res = MakeClient(s.port).Post(path, form.body, form.content_type.c_str());
  Outcome o = Classify(res);
  if (out && res) *out = std::move(res->body);
  return o;
}

json ChatBody(const std::string& model, bool stream) {
  return {{"model", model},
          {"stream", stream},
          {"messages", json::array({{{"role", "user"}, {"content", "What is the capital of France?"}}})}};
}

Outcome ChatCompletion(const Shared& s, const std::string& model) {
  std::string body;
  Outcome o = PostJson(s, "/v1/chat/completions", ChatBody(model, false), &body);
  if (o.kind != Outcome::kOk) return o;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("choices") || j["choices"].empty()) return Fail(o, "no choices", body);
  return o;
}

// Calls `on_event` for every SSE event of a whole body; false when the body has no events.
bool ForEachEvent(const std::string& body, const std::function<void(const std::string&, const std::string&)>& fn) {
  int n = 0;
  hb::SseParser parser([&](const std::string& e, const std::string& d) {
    ++n;
    fn(e, d);
    return true;
  });
  parser.Feed(body);
  parser.Feed("\n\n");  // a last event without its blank line still counts
  return n > 0;
}

Outcome ChatCompletionStream(const Shared& s, const std::string& model) {
  std::string body;
  Outcome o = PostJson(s, "/v1/chat/completions", ChatBody(model, true), &body);
  if (o.kind != Outcome::kOk) return o;
  bool done = false, error = false;
  ForEachEvent(body, [&](const std::string&, const std::string& data) {
    if (data == "[DONE]") done = true;
    else if (data.find("\"error\"") != std::string::npos) error = true;
  });
  if (error || !done) return Fail(o, error ? "error chunk in the stream" : "stream ended without [DONE]", body);
  return o;
}

Outcome Speech(const Shared& s, const std::string& model) {
  std::string body;
  Outcome o = PostJson(s, "/v1/audio/speech",
                       {{"model", model}, {"input", "The quick brown fox jumps over the lazy dog."}}, &body);
  if (o.kind == Outcome::kOk && body.compare(0, 4, "RIFF") != 0) return Fail(o, "not a WAV", body);
  return o;
}

Outcome Transcribe(const Shared& s, const std::string& model) {
  std::string body;
  Outcome o = PostForm(s, "/v1/audio/transcriptions",
                       {{"file", s.speech_wav, "speech.wav", "audio/wav"}, {"model", model, "", ""}}, &body);
  if (o.kind != Outcome::kOk) return o;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("text")) return Fail(o, "no text", body);
  return o;
}

// POST /api/chat: `data:` frames ending with {"status": "complete"}.
Outcome HarvisChat(const Shared& s, bool text_only) {
  json request = {{"message", "Tell me something about the moon."}, {"text_only", text_only}};
  if (!text_only) request["tts_engine"] = "espeak";
  std::string body;
  Outcome o = PostJson(s, "/api/chat", request, &body);
  if (o.kind != Outcome::kOk) return o;
  bool complete = false, audio = false;
  std::string error;
  ForEachEvent(body, [&](const std::string&, const std::string& data) {
    const json j = json::parse(data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    const std::string status = j.value("status", "");
    if (status == "complete") {
      complete = true;
      audio = j.contains("audio_path");
    }
    if (status == "error") error = data;
  });
  if (!error.empty()) return StreamError(o, "error frame", error);
  if (!complete) return Fail(o, "no complete frame", body);
  if (!text_only && !audio) return Fail(o, "complete without audio_path", body);
  return o;
}

// POST /api/voice: events transcript, token..., audio..., done (or error).
Outcome Voice(const Shared& s, const std::string& stt, const std::string& llm, const std::string& tts) {
  std::string body;
  Outcome o = PostForm(s, "/api/voice",
                       {{"file", s.speech_wav, "speech.wav", "audio/wav"},
                        {"stt_model", stt, "", ""},
                        {"model", llm, "", ""},
                        {"tts_model", tts, "", ""}},
                       &body);
  if (o.kind != Outcome::kOk) return o;
  bool done = false, audio = false;
  std::string error;
  ForEachEvent(body, [&](const std::string& event, const std::string& data) {
    if (event == "done") done = true;
    if (event == "audio") audio = true;
    if (event == "error") error = data;
  });
  if (!error.empty()) return StreamError(o, "error event", error);
  if (!done || !audio) return Fail(o, done ? "no audio event" : "no done event", body);
  return o;
}

// POST /api/synthesize-speech, then GET its audio_path (latency: both).
Outcome SynthesizeAndFetch(const Shared& s) {
  std::string body;
  Outcome o = PostJson(s, "/api/synthesize-speech",
                       {{"text", "Your timer for ten minutes has started."}, {"tts_engine", "flite"}}, &body);
  if (o.kind != Outcome::kOk) return o;
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("audio_path") || !j["audio_path"].is_string()) {
    return Fail(o, "no audio_path", body);
  }
  const std::string path = j["audio_path"];
  auto audio = MakeClient(s.port).Get(path.c_str());
  Outcome g = Classify(audio);
  if (g.kind != Outcome::kOk) {
    g.detail = "GET " + path + ": " + g.detail;
    return g;
  }
  if (audio->body.compare(0, 4, "RIFF") != 0) return Fail(g, "GET " + path + ": not a WAV", audio->body);
  return g;
}

struct Route {
  std::string name;
  int weight;
  std::function<Outcome(const Shared&)> run;
};

std::vector<Route> Routes() {
  return {
      {"GET /healthz", 8, [](const Shared& s) { return Get(s, "/healthz"); }},
      {"GET /v1/models", 4, [](const Shared& s) { return Get(s, "/v1/models"); }},
      {"POST /v1/chat/completions sim-llm", 10, [](const Shared& s) { return ChatCompletion(s, "sim-llm"); }},
      {"POST /v1/chat/completions llama3.2:3b", 6, [](const Shared& s) { return ChatCompletion(s, "llama3.2:3b"); }},
      {"POST /v1/chat/completions llama3.2:3b stream", 6,
       [](const Shared& s) { return ChatCompletionStream(s, "llama3.2:3b"); }},
      {"POST /v1/audio/speech espeak", 6, [](const Shared& s) { return Speech(s, "espeak"); }},
      {"POST /v1/audio/speech sim-tts", 10, [](const Shared& s) { return Speech(s, "sim-tts"); }},
      {"POST /v1/audio/transcriptions pocketsphinx", 4, [](const Shared& s) { return Transcribe(s, "pocketsphinx"); }},
      {"POST /v1/audio/transcriptions sim-stt", 10, [](const Shared& s) { return Transcribe(s, "sim-stt"); }},
      {"POST /api/chat text_only (llama3.2:3b)", 6, [](const Shared& s) { return HarvisChat(s, true); }},
      {"POST /api/chat + audio (llama3.2:3b, espeak)", 4, [](const Shared& s) { return HarvisChat(s, false); }},
      {"POST /api/voice sim-stt/sim-llm/sim-tts", 10,
       [](const Shared& s) { return Voice(s, "sim-stt", "sim-llm", "sim-tts"); }},
      {"POST /api/voice pocketsphinx/llama3.2:3b/espeak", 3,
       [](const Shared& s) { return Voice(s, "pocketsphinx", "llama3.2:3b", "espeak"); }},
      {"POST /api/synthesize-speech flite + GET audio", 5, [](const Shared& s) { return SynthesizeAndFetch(s); }},
  };
}

struct RouteStats {
  long requests = 0, saturated = 0, errors = 0;
  std::vector<double> ok_ms;
  void Merge(const RouteStats& o) {
    requests += o.requests;
    saturated += o.saturated;
    errors += o.errors;
    ok_ms.insert(ok_ms.end(), o.ok_ms.begin(), o.ok_ms.end());
  }
};

// Errors from every thread: the first few in full, and all counted by kind.
class ErrorLog {
 public:
  // `at_s`: when the request was sent, seconds since the clients started; `ms`: how long it took.
  void Add(const std::string& phase, const std::string& route, const Outcome& o, double at_s, double ms) {
    std::lock_guard lock(mu_);
    ++count_;
    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(1);
    if (first_.size() < 10) {
      line << "[" << phase << ", sent at +" << at_s << " s, took " << ms << " ms] " << route << ": status "
           << o.status << (o.request_id.empty() ? "" : " (X-Request-Id " + o.request_id + ")") << ": " << o.detail;
      first_.push_back(line.str());
    }
    Kind& k = kinds_[phase + ", status " + std::to_string(o.status) + ": " + o.detail.substr(0, 60)];
    if (k.count++ == 0) k.first_s = at_s;
    k.last_s = at_s;
  }
  long count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  void Print() const {
    std::lock_guard lock(mu_);
    if (count_ == 0) return;
    std::printf("\n%ld errors; by kind:\n", count_);
    for (const auto& [what, k] : kinds_) {
      std::printf("  %5ld x [%s] (sent between +%.1f s and +%.1f s)\n", k.count, what.c_str(), k.first_s, k.last_s);
    }
    std::printf("the first:\n");
    for (const auto& e : first_) std::printf("  %s\n", e.c_str());
  }

 private:
  struct Kind {
    long count = 0;
    double first_s = 0, last_s = 0;
  };
  mutable std::mutex mu_;
  long count_ = 0;
  std::vector<std::string> first_;
  std::map<std::string, Kind> kinds_;
};

struct PhaseStats {
  std::vector<RouteStats> warmup, run;
  double run_wall_s = 0;  // from the end of the warm-up until the last in-flight request ended
};

// Runs `clients` closed-loop clients without a pause for warm-up + run seconds. A request
// belongs to the phase in which it was sent. `at_warmup_end` runs once the warm-up is
// over (the clients keep going meanwhile).
PhaseStats RunClients(const Args& a, const Shared& shared, const std::vector<Route>& routes, ErrorLog& errors,
                      std::atomic<bool>& stop, const std::function<void()>& at_warmup_end) {
  std::vector<int> weights;
  for (const auto& r : routes) weights.push_back(r.weight);
  auto seconds = [](double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
  struct ClientStats {
    std::vector<RouteStats> warmup, run;
  };
  std::vector<ClientStats> per_client(a.clients, {std::vector<RouteStats>(routes.size()),
                                                  std::vector<RouteStats>(routes.size())});
  const auto t0 = Clock::now();
  const auto warm_end = t0 + seconds(a.warmup);
  const auto end = warm_end + seconds(a.seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < a.clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(a.seed * 1000003 + c);
      std::discrete_distribution<int> pick(weights.begin(), weights.end());
      while (!stop.load() && Clock::now() < end) {
        const int i = pick(rng);
        const auto r0 = Clock::now();
        const bool warm = r0 < warm_end;
        RouteStats& stats = (warm ? per_client[c].warmup : per_client[c].run)[i];
        const Outcome o = routes[i].run(shared);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - r0).count();
        ++stats.requests;
        if (o.kind == Outcome::kOk) {
          stats.ok_ms.push_back(ms);
        } else if (o.kind == Outcome::kSaturated) {
          ++stats.saturated;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } else {
          ++stats.errors;
          errors.Add(warm ? "warm-up" : "run", routes[i].name, o, std::chrono::duration<double>(r0 - t0).count(), ms);
        }
      }
    });
  }
  std::this_thread::sleep_until(warm_end);
  at_warmup_end();
  for (auto& t : threads) t.join();
  PhaseStats out;
  out.run_wall_s = std::chrono::duration<double>(Clock::now() - warm_end).count();
  out.warmup.resize(routes.size());
  out.run.resize(routes.size());
  for (const auto& client : per_client) {
    for (size_t i = 0; i < routes.size(); ++i) {
      out.warmup[i].Merge(client.warmup[i]);
      out.run[i].Merge(client.run[i]);
    }
  }
  return out;
}

void PrintTable(const std::vector<Route>& routes, const std::vector<RouteStats>& stats, double wall_s) {
  std::printf("| %-48s | %8s | %7s | %8s | %8s | %5s | %6s |\n", "route", "requests", "req/s", "p50 (ms)", "p99 (ms)",
              "503s", "errors");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(50, '-').c_str(), std::string(10, '-').c_str(),
              std::string(9, '-').c_str(), std::string(10, '-').c_str(), std::string(10, '-').c_str(),
              std::string(7, '-').c_str(), std::string(8, '-').c_str());
  RouteStats all;
  for (size_t i = 0; i < routes.size(); ++i) {
    const auto& s = stats[i];
    all.Merge(s);
    std::printf("| %-48s | %8ld | %7.1f | %8.0f | %8.0f | %5ld | %6ld |\n", routes[i].name.c_str(), s.requests,
                s.requests / wall_s, hb::Percentile(s.ok_ms, 50), hb::Percentile(s.ok_ms, 99), s.saturated, s.errors);
  }
  std::printf("| %-48s | %8ld | %7.1f | %8.0f | %8.0f | %5ld | %6ld |\n", "**total**", all.requests,
              all.requests / wall_s, hb::Percentile(all.ok_ms, 50), hb::Percentile(all.ok_ms, 99), all.saturated,
              all.errors);
}

std::string Config(const std::filesystem::path& dir, int standin_port) {
  std::ostringstream y;
  y << "server: {host: 127.0.0.1, port: 0}\n"
    << "ollama: {url: \"http://127.0.0.1:" << standin_port << "\"}\n"
    << "state_dir: " << (dir / "state").string() << "\n"
    << "models_dir: " << (dir / "models").string() << "\n"
    << "scheduler: {queue_size: 64}\n"
    // A small audio store, so that RSS growth beyond ~16 MiB is not the store filling up.
    << "audio_store: {max_bytes: 16MiB}\n"
    << "models:\n"
    << "  - {name: pocketsphinx, kind: stt, engine: pocketsphinx, device: cpu, parallel: 2}\n"
    << "  - {name: espeak, kind: tts, engine: espeak, device: cpu}\n"
    << "  - {name: flite, kind: tts, engine: flite, device: cpu}\n"
    << "  - {name: \"llama3.2:3b\", kind: llm, engine: ollama, parallel: 4}\n";
  for (const char* kind : {"stt", "tts", "llm"}) {
    y << "  - {name: sim-" << kind << ", kind: " << kind
      << ", engine: simulated, parallel: 4, options: {infer_time: 50ms, load_time: 200ms}}\n";
  }
  return y.str();
}

// Harvis's log lines at warning level or above (the first `max`), and their count.
std::pair<long, std::vector<std::string>> WarningLines(const std::string& log, size_t max) {
  std::istringstream in(log);
  long n = 0;
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.find(" warning ") == std::string::npos && line.find(" error ") == std::string::npos &&
        line.find(" critical ") == std::string::npos) {
      continue;
    }
    ++n;
    if (out.size() < max) out.push_back(line.substr(0, 400));
  }
  return {n, out};
}

double Mib(long kib) { return kib / 1024.0; }

int Run(const Args& a, const std::filesystem::path& dir) {
  std::vector<Route> routes;
  for (auto& r : Routes()) {
    if (a.only.empty() || r.name.find(a.only) != std::string::npos) routes.push_back(std::move(r));
  }
  if (routes.empty()) {
    std::fprintf(stderr, "no route matches --only '%s'\n", a.only.c_str());
    return 2;
  }
  char tps[32];
  std::snprintf(tps, sizeof tps, "%g", a.tokens_per_second);
  hb::ChildProcess::Options standin_options;
  standin_options.args = {STANDIN_BIN, "--port", "0", "--models", "llama3.2:3b=2GiB",
                                     "--tokens-per-second", tps};
  standin_options.log = dir / "standin.log";
  hb::ChildProcess standin(standin_options);
  const int standin_port = standin.WaitForPort(std::chrono::seconds(10));
  if (standin_port == 0) {
    std::fprintf(stderr, "the Ollama stand-in did not start:\n%s\n", standin.Log().c_str());
    return 1;
  }
  const auto config = dir / "harvis.yaml";
  std::ofstream(config) << Config(dir, standin_port);
  hb::ChildProcess::Options harvis_options;
  harvis_options.args = {HARVIS_BIN, "serve", "--config", config.string()};
  harvis_options.unset_env = hb::kHarvisEnvironment;
  harvis_options.log = dir / "harvis.log";
  hb::ChildProcess harvis(harvis_options);
  Shared shared;
  shared.port = harvis.WaitForPort(std::chrono::seconds(30));
  bool ready = false;
  for (auto deadline = Clock::now() + std::chrono::seconds(30); shared.port && !ready && Clock::now() < deadline;) {
    auto res = MakeClient(shared.port).Get("/readyz");
    ready = res && res->status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!ready) {
    std::fprintf(stderr, "harvis did not start:\n%s\n", harvis.Log().c_str());
    return 1;
  }
  {
    auto res = MakeClient(shared.port)
                   .Post("/v1/audio/speech",
                         json({{"model", "flite"},
                               {"input", "Please turn on the kitchen lights and set a timer."},
                               {"sample_rate", 16000}})
                             .dump(),
                         "application/json");
    if (!res || res->status != 200) {
      std::fprintf(stderr, "cannot make the speech WAV: %s\n", res ? res->body.c_str() : "connection error");
      return 1;
    }
    shared.speech_wav = res->body;
  }
  std::fprintf(stderr, "speech WAV: %.2f s (flite, 16 kHz); harvis pid %d, port %d; logs in %s\n",
               hb::WavSeconds(shared.speech_wav), harvis.pid(), shared.port, dir.c_str());

  ErrorLog errors;
  std::atomic<bool> stop{false}, running{true};
  std::atomic<bool> harvis_died{false};
  std::vector<long> rss_trend;  // every 10 s from the clients' start (written by the watchdog only)
  std::thread watchdog([&] {  // harvis exiting is an error that stops the run
    const auto t0 = Clock::now();
    while (running.load()) {
      if (!harvis.Alive()) {
        harvis_died = true;
        stop = true;
        return;
      }
      if (Clock::now() - t0 >= std::chrono::seconds(10) * static_cast<int>(rss_trend.size() + 1)) {
        rss_trend.push_back(hb::RssKib(harvis.pid()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto finish = [&] {
    running = false;
    watchdog.join();
  };

  std::fprintf(stderr, "%d clients: %.0f s warm-up (not counted), then %.0f s...\n", a.clients, a.warmup, a.seconds);
  long rss_warm = 0;
  std::string load_before;
  const PhaseStats phases = RunClients(a, shared, routes, errors, stop, [&] {
    rss_warm = hb::RssKib(harvis.pid());
    load_before = hb::LoadAverage();
  });
  const auto& stats = phases.run;
  const double wall = phases.run_wall_s;
  long warm_requests = 0, warm_errors = 0;
  for (const auto& s : phases.warmup) warm_requests += s.requests, warm_errors += s.errors;
  const long rss_run = hb::RssKib(harvis.pid());
  const std::string load_after = hb::LoadAverage();
  std::this_thread::sleep_for(std::chrono::duration<double>(a.idle));
  const long rss_idle = hb::RssKib(harvis.pid());
  finish();

  std::printf("load_test: %d clients, %.0f s (+ %.0f s warm-up: %ld requests, %ld errors), seed %llu, "
              "stand-in at %.0f tokens/s, scheduler queue 64, audio store 16 MiB, speech WAV %.2f s\n",
              a.clients, a.seconds, a.warmup, warm_requests, warm_errors, static_cast<unsigned long long>(a.seed),
              a.tokens_per_second, hb::WavSeconds(shared.speech_wav));
  std::printf("load average at the start of the run %s, at its end %s; the last request ended %.1f s after "
              "the start of the run\n\n",
              load_before.c_str(), load_after.c_str(), wall);
  PrintTable(routes, stats, a.seconds);
  std::printf("\np50/p99 over 2xx responses. harvis RSS: at the end of the warm-up (under load) %.1f MiB, "
              "right after the run %.1f MiB (%+.1f), after %.0f s idle %.1f MiB (%+.1f)\n",
              Mib(rss_warm), Mib(rss_run), Mib(rss_run - rss_warm), a.idle, Mib(rss_idle), Mib(rss_idle - rss_warm));
  std::printf("RSS every 10 s from the clients' start (MiB):");
  for (long kib : rss_trend) std::printf(" %.0f", Mib(kib));
  std::printf("\n");

  const auto [warnings, warning_lines] = WarningLines(harvis.Log(), 5);
  if (warnings > 0) {
    std::printf("\nharvis logged %ld warning/error lines; the first:\n", warnings);
    for (const auto& l : warning_lines) std::printf("  %s\n", l.c_str());
  }
  const long error_count = errors.count() + (harvis_died ? 1 : 0);
  if (harvis_died) std::printf("\nERROR: harvis exited during the test (status %d)\n", harvis.exit_status());
  errors.Print();
  if (!harvis_died) {
    const auto t0 = Clock::now();
    const int status = harvis.Stop(SIGTERM, std::chrono::seconds(30));
    std::printf("\nharvis stopped on SIGTERM in %.1f s with exit status %d\n",
                std::chrono::duration<double>(Clock::now() - t0).count(), status);
  }
  return error_count == 0 ? 0 : 1;
}

bool ParseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--keep") {
      a.keep = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    try {
      if (k == "--clients") a.clients = std::stoi(v);
      else if (k == "--seconds") a.seconds = std::stod(v);
      else if (k == "--warmup") a.warmup = std::stod(v);
      else if (k == "--idle") a.idle = std::stod(v);
      else if (k == "--seed") a.seed = std::stoull(v);
      else if (k == "--tokens-per-second") a.tokens_per_second = std::stod(v);
      else if (k == "--only") a.only = v;
      else return false;
    } catch (...) {
      return false;
    }
  }
  return a.clients > 0 && a.seconds > 0 && a.warmup >= 0 && a.idle >= 0 && a.tokens_per_second > 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Args a;
  if (!ParseArgs(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: %s [--clients 64] [--seconds 60] [--warmup 10] [--idle 5] [--seed 42] "
                 "[--tokens-per-second 200] [--only SUBSTRING] [--keep]\n",
                 argv[0]);
    return 2;
  }
  const auto dir = hb::MakeTempDir("harvis-load");
  const int rc = Run(a, dir);
  if ((rc == 0 && !a.keep) || rc == 2) {
    std::filesystem::remove_all(dir);
  } else {
    std::fprintf(stderr, "logs kept in %s\n", dir.c_str());
  }
  return rc;
}
