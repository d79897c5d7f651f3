// A server child process for the baseline comparisons (bench/whisper, bench/llama): a
// free loopback port, and a child that is up once an HTTP path answers 200.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "common/bench_process.h"

namespace harvis::bench {

// A loopback port that was free a moment ago (bind to port 0, read it, close).
inline int FreePort() {
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

// A server child process on `port`, up once GET `ready_path` answers 200.
inline std::unique_ptr<ChildProcess> StartServer(ChildProcess::Options process, int port,
                                                         const std::string& ready_path) {
  const std::string name = process.args.at(0);
  auto child = std::make_unique<ChildProcess>(std::move(process));
  httplib::Client probe("127.0.0.1", port);
  probe.set_read_timeout(2, 0);
  for (int i = 0; i < 300 && child->Alive(); ++i) {  // up to 30 s for the model load
    auto res = probe.Get(ready_path);
    if (res && res->status == 200) return child;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "%s did not start\n", name.c_str());
  return nullptr;
}

}  // namespace harvis::bench
