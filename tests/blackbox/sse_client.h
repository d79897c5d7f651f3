// Shared helpers of the black-box tests of the Harvis routes (harvis_routes_test.cpp,
// voice_route_test.cpp; the stand-in also for ollama_tenant_test.cpp): the Ollama
// stand-in as a child process, a stand-in + harvis pair, server-sent-event parsing, raw
// HTTP over a loopback socket (no client-side normalisation of paths, and a connection
// the test can cut), multipart bodies, WAV and base64 decoding.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harvis_process.h"

namespace harvis::testing {

// The Ollama stand-in (OLLAMA_STANDIN) on a free loopback port; stopped on destruction.
class StandinProcess {
 public:
  StandinProcess(const std::string& models, double tokens_per_second);
  ~StandinProcess();
  StandinProcess(const StandinProcess&) = delete;
  StandinProcess& operator=(const StandinProcess&) = delete;

  bool running() const { return pid_ > 0 && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Client Client() const;
  // GET /__standin/stats and /__standin/last_request (null on failure).
  nlohmann::json Stats() const;
  nlohmann::json LastRequest() const;
  // Whether a model response stream ended early (the client went away or it was cut).
  bool StreamCut() const;
  // Whether the last model request carried a prompt (a chat or generation, not a
  // load-only request such as a prewarm or an unload).
  bool PromptReceived() const;
  // Names of the models the stand-in holds (its /api/ps).
  std::vector<std::string> Loaded() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// The stand-in serving llama3.2:3b and harvis with its built-in models pointed at it.
// `extra_yaml` is appended to harvis's config (e.g. "audio_store: { ttl: 2s }\n").
struct HarvisStack {
  explicit HarvisStack(double tokens_per_second = 200, const std::string& extra_yaml = "");
  bool running() const { return ollama.running() && harvis.running(); }

  StandinProcess ollama;
  HarvisProcess harvis;
};

// A loopback port that nothing listens on (bound, then closed).
int ClosedPort();

// Polls `predicate` every 50 ms until it holds or `limit` passes; returns its last value.
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds limit = std::chrono::seconds(15));

// One server-sent event: its `event:` name (empty when unnamed) and its `data:` as JSON
// (a string when the data is not JSON).
struct SseEvent {
  std::string event;
  nlohmann::json data;
};
// Parses a whole text/event-stream body.
std::vector<SseEvent> ParseSse(const std::string& body);

// A form with `wav` as its `file` field (speech.wav, audio/wav), then `fields`.
httplib::MultipartFormDataItems Upload(const std::string& wav, httplib::MultipartFormDataItems fields = {});

// Builds a multipart/form-data body with `boundary` from httplib's form items.
std::string MultipartBody(const httplib::MultipartFormDataItems& items, const std::string& boundary);

// A raw HTTP/1.1 client connection to 127.0.0.1:port; closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Reads into received() until `done(received())` holds, the peer closes, or `limit`
  // passes; returns whether `done` held.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(30));
  const std::string& received() const { return received_; }
  void Close();

 private:
  int fd_ = -1;
  std::string received_;
};

// The text of a POST request with `body` (Connection: close), to send on a RawConnection.
std::string PostRequest(const std::string& target, const std::string& content_type, const std::string& body);

// How many times `needle` occurs in `text`.
size_t Occurrences(const std::string& text, const std::string& needle);

// A raw response: status code (0 when unparsable) and the bytes after the header.
struct RawResponse {
  int status = 0;
  std::string body;
};
// Sends `GET target` exactly as written (no normalisation) and reads the whole answer.
RawResponse RawGet(int port, const std::string& target);

// A WAV of `seconds` of digital silence, 16 kHz mono 16-bit.
std::string SilenceWav(double seconds);

// The header facts of a RIFF/WAVE file; valid is false for anything else.
struct WavInfo {
  bool valid = false;
  int sample_rate = 0;
  int channels = 0;
  std::uint32_t data_bytes = 0;
};
WavInfo ReadWavInfo(const std::string& bytes);

// Decodes standard base64 (with padding); stops at the first character outside it.
std::string Base64Decode(const std::string& text);

// What SpeechWav() speaks in the tests.
inline constexpr char kSpokenText[] = "hello world, what time is it";

// Real speech to upload: `text` spoken by harvis's flite as a 16 kHz WAV
// (POST /v1/audio/speech); empty on failure.
std::string SpeechWav(const HarvisProcess& harvis, const std::string& text);

// The whitespace-separated words of `text`.
std::vector<std::string> Words(const std::string& text);

}  // namespace harvis::testing
