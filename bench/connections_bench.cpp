// connections_bench: does `harvis serve` keep answering while many clients hold
// connections open? Starts the real binary (built-in configuration) on a free loopback
// port, then measures GET /healthz (a new connection per probe, 1 s timeout) and a few
// real requests (GET /v1/models, GET /api/ps) in three phases:
//   quiet   - nothing else connected;
//   idle    - IDLE clients connected that send nothing;
//   slow    - and SLOW clients that send a request's headers one byte every second.
// Prints a table: probe p50/p99/max, probes that failed, real requests served. A phase
// ends after PROBES probes or 30 s, whichever comes first.
//
// Usage: connections_bench [--idle 1000] [--slow 200] [--probes 300] [--hold-s 5]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/bench_process.h"

namespace {

using harvis::bench::ChildProcess;
using Clock = std::chrono::steady_clock;

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One GET on a new connection; returns the status code (0: failed or timed out) and
// sets `ms` to the time until the whole response arrived.
int Get(int port, const std::string& path, std::chrono::milliseconds timeout, double& ms) {
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  int status = 0;
  const int fd = Connect(port);
  if (fd >= 0) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      std::string response;
      char buf[4096];
      while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) break;
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          if (n == 0 && response.rfind("HTTP/1.1 ", 0) == 0) status = std::atoi(response.c_str() + 9);
          break;
        }
        response.append(buf, static_cast<size_t>(n));
      }
    }
    close(fd);
  }
  ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return status;
}

struct PhaseResult {
  std::vector<double> probe_ms;
  int probe_failures = 0;
  int real_ok = 0;
  int real_total = 0;
};

// Up to `probes` probes, and at most 30 s: a server that stopped answering ends the phase.
PhaseResult Measure(int port, int probes) {
  PhaseResult r;
  const auto end = Clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < probes && Clock::now() < end; ++i) {
    double ms = 0;
    if (Get(port, "/healthz", std::chrono::milliseconds(1000), ms) != 200) ++r.probe_failures;
    r.probe_ms.push_back(ms);
    if (i % 10 == 0) {
      for (const char* path : {"/v1/models", "/api/ps"}) {
        double real_ms = 0;
        ++r.real_total;
        if (Get(port, path, std::chrono::milliseconds(5000), real_ms) == 200) ++r.real_ok;
      }
    }
  }
  return r;
}

// Raises this process's open-file limit to its hard limit (1,200 sockets need it).
void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

int IntFlag(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int idle = IntFlag(argc, argv, "--idle", 1000);
  const int slow = IntFlag(argc, argv, "--slow", 200);
  const int probes = IntFlag(argc, argv, "--probes", 300);
  const int hold_s = IntFlag(argc, argv, "--hold-s", 5);
  RaiseFileLimit();

  const auto dir = harvis::bench::MakeTempDir("connections-bench");
  ChildProcess::Options options;
  options.args = {HARVIS_BIN, "serve", "--host", "127.0.0.1", "--port", "0"};
  options.env = {{"HARVIS_STATE_DIR", (dir / "state").string()}, {"HARVIS_MODELS_DIR", (dir / "models").string()}};
  options.unset_env = harvis::bench::kHarvisEnvironment;
  options.log = dir / "harvis.log";
  ChildProcess harvis(options);
  const int port = harvis.WaitForPort(std::chrono::seconds(30));
  double ms = 0;
  for (int i = 0; port > 0 && i < 100 && Get(port, "/readyz", std::chrono::milliseconds(1000), ms) != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (port == 0) {
    std::fprintf(stderr, "harvis did not start:\n%s\n", harvis.Log().c_str());
    return 1;
  }

  struct Row {
    std::string name;
    PhaseResult result;
    int held = 0;
  };
  std::vector<Row> rows;
  rows.push_back({"quiet", Measure(port, probes), 0});

  std::vector<int> idle_fds;
  for (int i = 0; i < idle; ++i) {
    const int fd = Connect(port);
    if (fd >= 0) idle_fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::seconds(hold_s));  // let the server settle
  rows.push_back({"idle " + std::to_string(idle), Measure(port, probes), static_cast<int>(idle_fds.size())});

  // Slow clients: each sends "GET /healthz HTTP/1.1\r\nX-Slow: aaaa..." one byte a second.
  std::vector<int> slow_fds;
  for (int i = 0; i < slow; ++i) {
    const int fd = Connect(port);
    if (fd >= 0) slow_fds.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    for (size_t byte = 0; !stop; ++byte) {
      for (int fd : slow_fds) {
        const char c = byte < head.size() ? head[byte] : 'a';
        send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(hold_s));
  rows.push_back({"idle " + std::to_string(idle) + " + slow " + std::to_string(slow), Measure(port, probes),
                  static_cast<int>(idle_fds.size() + slow_fds.size())});
  stop = true;
  trickler.join();
  for (int fd : idle_fds) close(fd);
  for (int fd : slow_fds) close(fd);
  const bool alive = harvis.Alive();

  std::printf("| phase | connections held | /healthz p50 ms | p99 ms | max ms | probes failed | real requests served |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& row : rows) {
    const auto& r = row.result;
    double max = 0;
    for (double v : r.probe_ms) max = std::max(max, v);
    std::printf("| %s | %d | %.2f | %.2f | %.1f | %d/%zu | %d/%d |\n", row.name.c_str(), row.held,
                harvis::bench::Percentile(r.probe_ms, 50), harvis::bench::Percentile(r.probe_ms, 99), max,
                r.probe_failures, r.probe_ms.size(), r.real_ok, r.real_total);
  }
  if (!alive) std::printf("harvis exited during the run:\n%s\n", harvis.Log().c_str());
  return alive ? 0 : 1;
}
