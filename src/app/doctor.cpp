// `harvis doctor`: prints what this machine and configuration offer, and exits 0 when a
// server could start with them, non-zero (saying why) when it could not.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "app/commands.h"
#include "app/runtime.h"
#include "app/startup.h"
#include "app/version.h"
#include "core/http_client.h"
#include "core/logging.h"
#include "resources/cgroup.h"
#include "resources/nvml.h"

namespace harvis::app {
namespace {

struct Findings {
  std::vector<std::string> problems;  // any of these stops `serve`
  void Line(const std::string& what, const std::string& text) { std::cout << "  " << what << ": " << text << "\n"; }
};

// Tries to bind host:port, as `serve` would, and releases it at once.
Status CheckPortFree(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {ErrorCode::kFailedPrecondition, "cannot create a socket"};
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool parsed = inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) == 1;
  bool bound = parsed && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  if (bound) return Status::Ok();
  return {ErrorCode::kFailedPrecondition,
          "cannot listen on " + host + ":" + std::to_string(port) + (parsed ? " (in use?)" : " (not an IPv4 address)")};
}

Status CheckStateDirWritable(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto probe = std::filesystem::path(dir) / ".doctor-probe";
  std::ofstream(probe) << "ok";
  bool ok = std::filesystem::exists(probe, ec);
  std::filesystem::remove(probe, ec);
  if (ok) return Status::Ok();
  return {ErrorCode::kFailedPrecondition, "state dir " + dir + " is not writable"};
}

void ReportHost(Findings& f) {
  resources::HostResources host = resources::ReadHostResources(resources::HostPaths{});
  f.Line("limits source", host.source);
  f.Line("memory limit", FormatBytes(host.ram_limit_bytes) + (host.ram_limited ? "" : " (no cgroup limit: host RAM)") +
                             ", used " + FormatBytes(host.ram_used_bytes));
  char cores[32];
  std::snprintf(cores, sizeof cores, "%.2f", host.cpu_allocated_cores);
  f.Line("cpu allocated", std::string(cores) + " cores" + (host.cpu_limited ? " (cgroup quota)" : " (no quota: host cores)"));
}

void ReportGpus(Findings& f, const Config& config) {
  resources::Nvml nvml;
  if (!nvml.available()) {
    f.Line("gpus", "none detected (" + nvml.description() + ")");
  }
  for (const auto& gpu : nvml.Devices()) {
    f.Line("gpu" + std::to_string(gpu.index), gpu.name + ", " + FormatBytes(gpu.memory_total_bytes) + " total, " +
                                                  FormatBytes(gpu.memory_used_bytes) + " used");
  }
  for (const auto& dev : config.devices) {
    f.Line("configured device " + dev.id, std::string(dev.kind == DeviceKind::kGpu ? "gpu" : "cpu") + ", " +
                                              FormatBytes(dev.memory) + (dev.simulated ? " (simulated)" : ""));
  }
}

void ReportOllama(Findings& f, const Config& config) {
  auto res = HttpGet(config.ollama.url + "/api/version", std::chrono::seconds(3));
  if (!res.ok()) {
    f.Line("ollama", config.ollama.url + " does not answer: " + res.status().message() +
                         " (LLM requests will get 503 until it does)");
    return;
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status != 200 || !body.is_object() || !body.contains("version")) {
    f.Line("ollama", config.ollama.url + " answers, but not as Ollama (HTTP " + std::to_string(res->status) + ")");
    return;
  }
  f.Line("ollama", config.ollama.url + " answers, version " + body["version"].dump());
}

// Builds the runtime as `serve` would (without loading anything): devices and budgets,
// engines, and whether every configured model can fit somewhere.
void ReportScheduler(Findings& f, const Config& config) {
  auto rt = BuildRuntime(config, resources::RestartInfo{}, /*background=*/false);
  std::string engines;
  for (const auto& name : DefaultEngineRegistry(config.ollama).Names()) engines += (engines.empty() ? "" : ", ") + name;
  f.Line("engines built in", engines);
  if (!rt.ok()) {
    f.problems.push_back(rt.status().message());
    return;
  }
  for (const auto& d : (*rt)->scheduler->ListDevices()) {
    f.Line("device " + d.id, std::string(d.kind == DeviceKind::kGpu ? "gpu" : "host RAM") + ", budget " +
                                 FormatBytes(d.budget) + (d.simulated ? " (simulated)" : ""));
  }
  for (const auto& m : (*rt)->scheduler->ListModels()) {
    auto plan = (*rt)->scheduler->Plan(m.name);
    f.Line("model " + m.name, std::string(ModelKindName(m.kind)) + " on " + m.engine +
                                  (plan.ok() ? ", would load on " + plan->device + " (" + FormatBytes(plan->bytes) + ")" : ""));
  }
}

}  // namespace

int Doctor(const CommonOptions& options) {
  SetupLogging("warn");  // doctor reports findings itself; keep the log for real problems
  std::cout << "harvis doctor " << kVersion << "\n";
  auto config = LoadEffectiveConfig(options);
  if (!config.ok()) {
    std::cout << "  configuration: INVALID: " << config.status().message() << "\n"
              << "result: a server cannot start: fix the configuration\n";
    return 1;
  }
  Findings f;
  f.Line("configuration", config->source + " (valid, " + std::to_string(config->models.size()) + " models)");
  ReportHost(f);
  ReportGpus(f, *config);
  ReportOllama(f, *config);
  ReportScheduler(f, *config);
  for (Status s : {CheckStateDirWritable(config->state_dir), CheckPortFree(config->server.host, config->server.port)}) {
    if (!s.ok()) f.problems.push_back(s.message());
  }
  f.Line("state dir", config->state_dir);
  f.Line("listen", config->server.host + ":" + std::to_string(config->server.port));
  if (!f.problems.empty()) {
    std::cout << "result: a server cannot start:\n";
    for (const auto& p : f.problems) std::cout << "  - " << p << "\n";
    return 1;
  }
  std::cout << "result: OK, a server can start with this configuration\n";
  return 0;
}

}  // namespace harvis::app
