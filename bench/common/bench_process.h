// Helpers shared by the whole-process benchmarks (voice_ttfa_bench, load_test, and usable
// by bench/whisper): child processes that announce their port in their log, percentiles,
// multipart bodies, an incremental server-sent-events parser, and /proc readings.
// Nothing here depends on an HTTP library; the benches bring their own client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace harvis::bench {

// The pattern "listening on HOST:PORT" that harvis and the Ollama stand-in print once bound.
inline constexpr const char* kListeningPattern = R"(listening on [^ \n]+:(\d+))";

// Environment variables that override a harvis configuration file (SPEC §3): a bench
// that passes --config removes them from the child so that the file alone decides.
inline const std::vector<std::string> kHarvisEnvironment = {
    "HARVIS_CONFIG", "HARVIS_HOST", "HARVIS_PORT", "HARVIS_API_KEYS", "HARVIS_STATE_DIR",
    "HARVIS_MODELS_DIR", "OLLAMA_CLOUD_URL"};

// A child process with its stdout and stderr in a log file. The destructor kills it
// (SIGKILL) and reaps it if it still runs. Not thread-safe; owned by one thread.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> args;              // args[0]: the executable's path
    std::map<std::string, std::string> env;     // set in the child
    std::vector<std::string> unset_env;         // removed from the child's environment
    std::filesystem::path log;                  // stdout+stderr; empty: /dev/null
    std::filesystem::path working_dir;          // empty: inherited
  };

  explicit ChildProcess(Options options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits until the log matches `pattern` (its first capture group is the port) and
  // returns the port; 0 when the child exits or `timeout` passes first.
  int WaitForPort(std::chrono::milliseconds timeout, const std::string& pattern = kListeningPattern);

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // True while the child has not exited (reaps it when it has; then exit_status() is set).
  bool Alive();
  // The exit status once reaped: the exit code, or 128 + signal; -1 while running.
  int exit_status() const { return exit_status_; }
  // The log so far ("" without a log file).
  std::string Log() const;
  // Sends `signal`, waits up to `timeout` for the exit, then SIGKILLs; returns exit_status().
  int Stop(int signal, std::chrono::milliseconds timeout);

 private:
  Options options_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
};

// True when the baseline server `path` (built from the shared third-party tree) exists;
// otherwise prints how to build it (target deps_servers) and returns false.
bool BaselineServerBuilt(const std::string& path);

// The p-th percentile (0..100) by linear interpolation between closest ranks; 0 if empty.
double Percentile(std::vector<double> values, double p);
double Mean(const std::vector<double>& values);

// One part of a multipart/form-data body: a plain field when `filename` is empty.
struct FormPart {
  std::string name;
  std::string content;
  std::string filename;
  std::string content_type;
};

struct MultipartBody {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

MultipartBody BuildMultipart(const std::vector<FormPart>& parts);

// Incremental parser of a text/event-stream: Feed() arbitrary chunks; `on_event` is
// called once per complete event (ended by a blank line) with its `event:` name
// ("message" when absent) and its `data:` lines joined by '\n'. Returning false from
// the callback makes Feed() return false (to stop the download).
class SseParser {
 public:
  using Callback = std::function<bool(const std::string& event, const std::string& data)>;
  explicit SseParser(Callback on_event) : on_event_(std::move(on_event)) {}
  bool Feed(std::string_view chunk);

 private:
  bool Line(std::string_view line);
  Callback on_event_;
  std::string buffer_, event_, data_;
  bool has_data_ = false;
};

// Creates a unique directory under the system temp dir.
std::filesystem::path MakeTempDir(const std::string& prefix);
// A whole file as a string ("" when unreadable).
std::string ReadFile(const std::filesystem::path& path);
// VmRSS of a process in KiB (/proc/PID/status); -1 when unreadable.
long RssKib(pid_t pid);
// The first three fields of /proc/loadavg ("1.20 1.31 1.55").
std::string LoadAverage();
// A 16-bit mono PCM WAV's duration in seconds, from its header; 0 when not such a WAV.
double WavSeconds(const std::string& wav);

}  // namespace harvis::bench
