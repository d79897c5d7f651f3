// Starts the real harvis binary on a free loopback port for black-box tests.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace harvis::testing {

class HarvisProcess {
 public:
  struct Options {
    std::string config_yaml;                   // written to a file when not empty
    std::map<std::string, std::string> env;    // extra environment
    std::filesystem::path state_dir;           // default: a fresh temp dir
  };

  // Starts `harvis serve` on 127.0.0.1 with port 0 and waits until /healthz answers.
  explicit HarvisProcess(Options options);
  HarvisProcess() : HarvisProcess(Options{}) {}
  ~HarvisProcess();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  httplib::Client Client() const;

  // Sends `signal` and waits for the exit; returns the exit status (-1: killed by signal).
  int SignalAndWait(int signal, int timeout_seconds = 30);
  void Signal(int signal);
  // The process's combined log so far.
  std::string Log() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path state_dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A response body as JSON (null when there is no response or the body is not JSON).
nlohmann::json JsonOrNull(const httplib::Result& res);
// GET `path` on harvis as JSON (null when there is no answer or it is not JSON).
nlohmann::json GetJson(const HarvisProcess& harvis, const std::string& path);
// The models GET /api/ps lists, by name (empty when there is no answer).
std::map<std::string, nlohmann::json> Resident(const HarvisProcess& harvis);
// The sum of the leases of the models GET /api/ps lists.
int LeasesHeld(const HarvisProcess& harvis);

// Creates a unique temporary directory.
std::filesystem::path MakeTempDir(const std::string& prefix);

// Runs a shell command, returning its exit status, and its output in `output`.
int RunCommand(const std::string& command, std::string* output);

// Why a test that drives a Node script from `source`/tests/openai_client cannot run here,
// or "" when it can: node, or one of `packages` under `source`/third_party/node/node_modules,
// is missing (scripts/setup.sh installs both).
std::string NodeSkipReason(const std::filesystem::path& source, const std::vector<std::string>& packages);

// `s` single-quoted for a POSIX shell.
std::string ShellQuote(const std::string& s);

}  // namespace harvis::testing
