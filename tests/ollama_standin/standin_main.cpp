// ollama_standin: a protocol-faithful Ollama stand-in for tests (SPEC §7), loopback only.
//
//   ollama_standin --port 0 --models "llama3.2:3b=2GiB,qwen2.5:7b=5GiB@Q8_0"
//                  [--tokens-per-second 30] [--vram-budget 8GiB]
//
// --port 0 picks a free port. Once bound it prints "listening on 127.0.0.1:PORT" on
// stdout. A model is NAME=SIZE[@QUANTIZATION] (default Q4_K_M). --vram-budget 0 (the
// default) means unlimited. SIGTERM or SIGINT stops it.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/units.h"
#include "standin_routes.h"

namespace {

struct Args {
  int port = 0;
  std::vector<standin::InstalledModel> models;
  double tokens_per_second = 30;
  std::uint64_t vram_budget = 0;
};

double BitsPerWeight(const std::string& quantization) {
  if (quantization == "F16" || quantization == "BF16") return 16;
  if (quantization == "F32") return 32;
  if (quantization == "Q8_0") return 8.5;
  return 4.85;  // Q4_K_M, Ollama's default
}

bool ParseModels(const std::string& text, std::vector<standin::InstalledModel>& out) {
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0) return false;
    standin::InstalledModel m;
    m.name = item.substr(0, eq);
    if (m.name.find(':') == std::string::npos) m.name += ":latest";
    std::string size = item.substr(eq + 1);
    if (size_t at = size.find('@'); at != std::string::npos) {
      m.quantization = size.substr(at + 1);
      size = size.substr(0, at);
    }
    auto bytes = harvis::ParseSize(size);
    if (!bytes || *bytes == 0) return false;
    m.size = *bytes;
    m.parameter_count = static_cast<std::uint64_t>(static_cast<double>(m.size) * 8 / BitsPerWeight(m.quantization));
    out.push_back(m);
  }
  return !out.empty();
}

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    try {
      if (flag == "--port") {
        args.port = std::stoi(value);
      } else if (flag == "--models") {
        if (!ParseModels(value, args.models)) return false;
      } else if (flag == "--tokens-per-second") {
        args.tokens_per_second = std::stod(value);
      } else if (flag == "--vram-budget") {
        auto bytes = harvis::ParseSize(value);
        if (!bytes) return false;
        args.vram_budget = *bytes;
      } else {
        return false;
      }
    } catch (...) {
      return false;
    }
  }
  return argc % 2 == 1 && !args.models.empty() && args.tokens_per_second > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::cerr << "usage: ollama_standin --port N --models \"name=SIZE[@QUANT],...\" "
                 "[--tokens-per-second X] [--vram-budget SIZE]\n";
    return 2;
  }
  // Signals are taken by one thread with sigwait; writes to a closed client fail with EPIPE.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  standin::StandinState state(args.models, args.vram_budget);
  standin::StandinSettings settings{args.tokens_per_second};
  httplib::Server server;
  standin::InstallRoutes(server, state, settings);
  int port = args.port;
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::cerr << "ollama_standin: cannot bind 127.0.0.1:" << args.port << "\n";
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << port << std::endl;

  std::atomic<bool> running{true};
  std::thread reaper([&] {
    while (running.load()) {
      state.ReapExpired();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.stop();
  });
  stopper.detach();
  server.listen_after_bind();
  running.store(false);
  reaper.join();
  return 0;
}
