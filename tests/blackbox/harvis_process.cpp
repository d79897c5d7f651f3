#include "harvis_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace harvis::testing {
namespace {

using namespace std::chrono_literals;

// A server may close a connection while a test is still sending (e.g. a body over the
// limit): the write must fail with EPIPE, not kill the test process.
const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
    if (output) output->append(buf, n);
  }
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string NodeSkipReason(const std::filesystem::path& source, const std::vector<std::string>& packages) {
  std::string node;
  if (RunCommand("command -v node", &node) != 0 || node.empty()) return "node is not installed (scripts/setup.sh installs nodejs)";
  const auto modules = source / "third_party" / "node" / "node_modules";
  for (const auto& pkg : packages) {
    if (!std::filesystem::exists(modules / pkg / "package.json")) {
      return (modules / pkg).string() + " is missing: run scripts/setup.sh to install the npm packages";
    }
  }
  return "";
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

HarvisProcess::HarvisProcess(Options options) : dir_(MakeTempDir("harvis-bb")) {
  state_dir_ = options.state_dir.empty() ? dir_ / "state" : options.state_dir;
  std::vector<std::string> args = {HARVIS_BINARY, "serve", "--host", "127.0.0.1", "--port", "0"};
  if (!options.config_yaml.empty()) {
    std::ofstream(dir_ / "harvis.yaml") << options.config_yaml;
    args.push_back("--config");
    args.push_back((dir_ / "harvis.yaml").string());
  }
  const std::string log = (dir_ / "harvis.log").string();
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("HARVIS_STATE_DIR", state_dir_.c_str(), 1);
    setenv("HARVIS_MODELS_DIR", (dir_ / "models").c_str(), 1);
    unsetenv("HARVIS_API_KEYS");
    unsetenv("HARVIS_CONFIG");
    for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // The server logs "listening on HOST:PORT" once bound; then /healthz must answer.
  const std::regex listening(R"(listening on [^ \n]+:(\d+))");
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
    std::smatch m;
    std::string text = ReadFile(log);
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      if (auto res = Client().Get("/healthz"); res && res->status == 200) return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;  // exited early: running() is false, Log() says why
    }
    std::this_thread::sleep_for(20ms);
  }
}

HarvisProcess::~HarvisProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

httplib::Client HarvisProcess::Client() const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(30, 0);
  client.set_connection_timeout(5, 0);
  return client;
}

void HarvisProcess::Signal(int signal) { kill(pid_, signal); }

int HarvisProcess::SignalAndWait(int signal, int timeout_seconds) {
  kill(pid_, signal);
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
       std::chrono::steady_clock::now() < deadline;) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  return -2;  // still running; the destructor kills it
}

std::string HarvisProcess::Log() const { return ReadFile(dir_ / "harvis.log"); }

nlohmann::json JsonOrNull(const httplib::Result& res) {
  if (!res) return nlohmann::json();
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

nlohmann::json GetJson(const HarvisProcess& harvis, const std::string& path) {
  return JsonOrNull(harvis.Client().Get(path));
}

std::map<std::string, nlohmann::json> Resident(const HarvisProcess& harvis) {
  std::map<std::string, nlohmann::json> out;
  const nlohmann::json ps = GetJson(harvis, "/api/ps");
  if (ps.is_object() && ps.contains("models")) {
    for (const auto& m : ps["models"]) out[m.value("name", "")] = m;
  }
  return out;
}

int LeasesHeld(const HarvisProcess& harvis) {
  int leases = 0;
  for (const auto& [name, m] : Resident(harvis)) leases += m.value("leases", 0);
  return leases;
}

}  // namespace harvis::testing
