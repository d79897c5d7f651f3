#include "standin_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace harvis::testing {
namespace {

// Reads one line from `fd` within `timeout_ms`; empty on timeout or EOF.
std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(fd, &c, 1) != 1) break;
    if (c == '\n') return line;
    line.push_back(c);
  }
  return {};
}

}  // namespace

StandinProcess::StandinProcess(const std::string& models, double tokens_per_second,
                               const std::string& vram_budget) {
  std::vector<std::string> args = {OLLAMA_STANDIN_BIN, "--port", "0", "--models", models,
                                   "--tokens-per-second", std::to_string(tokens_per_second)};
  if (!vram_budget.empty()) {
    args.push_back("--vram-budget");
    args.push_back(vram_budget);
  }
  std::vector<char*> argv;  // built before fork: the child may only exec
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe(out) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  const std::string line = ReadLine(out[0], 15000);
  close(out[0]);
  const std::string prefix = "listening on 127.0.0.1:";
  if (line.rfind(prefix, 0) == 0) port_ = std::stoi(line.substr(prefix.size()));
}

StandinProcess::~StandinProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool StandinProcess::SetFault(const std::string& mode, int count, int delay_ms) {
  httplib::Client client("127.0.0.1", port_);
  nlohmann::json body = {{"mode", mode}, {"count", count}, {"delay_ms", delay_ms}};
  auto res = client.Post("/__standin/fault", body.dump(), "application/json");
  return res && res->status == 200;
}

nlohmann::json StandinProcess::GetJson(const std::string& path) {
  httplib::Client client("127.0.0.1", port_);
  auto res = client.Get(path.c_str());
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, false);
}

nlohmann::json StandinProcess::Stats() { return GetJson("/__standin/stats"); }
nlohmann::json StandinProcess::LastRequest() { return GetJson("/__standin/last_request"); }

int StandinProcess::WaitForStat(const std::string& key, int at_least, int timeout_ms) {
  int value = -1;
  for (int waited = 0; waited <= timeout_ms; waited += 50) {
    auto stats = Stats();
    value = stats.is_object() ? stats.value(key, -1) : -1;
    if (value >= at_least) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return value;
}

int ClosedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 1;
  }
  close(fd);  // never listened: connections are refused
  return ntohs(addr.sin_port);
}

}  // namespace harvis::testing
