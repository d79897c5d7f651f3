// `harvis serve`: loads the configuration, wires the layers together, serves until
// SIGTERM/SIGINT, then drains in-flight requests and exits 0.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/commands.h"
#include "app/signals.h"
#include "app/startup.h"
#include "app/version.h"
#include "core/logging.h"
#include "http/routes.h"
#include "http/server.h"
#include "resources/monitor.h"
#include "resources/restarts.h"

namespace harvis::app {
namespace {

using Clock = std::chrono::steady_clock;

http::HttpOptions HttpOptionsFrom(const Config& config) {
  http::HttpOptions o;
  o.max_body = config.server.max_body;
  o.api_keys = config.server.api_keys;
  return o;
}

// Waits for in-flight requests to finish, at most `timeout`; returns how many remain.
int Drain(const http::HttpServer& server, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (server.InFlight() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return server.InFlight();
}

}  // namespace

int Serve(const CommonOptions& options) {
  auto config = LoadEffectiveConfig(options);
  if (!config.ok()) {
    std::cerr << "harvis: " << config.status().message() << "\n";
    return 1;
  }
  SetupLogging(config->log_level);
  BlockShutdownSignals();
  spdlog::info("harvis {} starting (configuration: {})", kVersion, config->source);

  auto restarts = resources::RecordStart(config->state_dir);
  if (!restarts.ok()) {
    spdlog::critical("{}", restarts.status().message());
    return 1;
  }

  auto registry = std::make_shared<prometheus::Registry>();
  resources::ResourceMonitor monitor(*registry, MonitorOptionsFrom(*config, *restarts));

  std::atomic<bool> ready{false};
  http::HttpServer server(HttpOptionsFrom(*config), *registry);
  http::RegisterHealthRoutes(server, {[&ready] { return ready.load(); }, [registry] {
                                        return prometheus::TextSerializer().Serialize(registry->Collect());
                                      }});
  const auto started = std::chrono::system_clock::now();
  http::RegisterOpenAiRoutes(server, *config,
                             std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count());

  auto port = server.Bind(config->server.host, config->server.port);
  if (!port.ok()) {
    spdlog::critical("{}", port.status().message());
    return 1;
  }
  std::thread http_thread([&server] { server.Run(); });
  ready = true;
  spdlog::info("listening on {}:{} (ready)", config->server.host, *port);

  int signal = WaitForShutdownSignal();
  spdlog::info("received signal {}: draining (up to {})", signal, FormatDuration(config->server.drain_timeout));
  ready = false;
  server.SetDraining(true);
  int remaining = Drain(server, config->server.drain_timeout);
  resources::RecordCleanShutdown(config->state_dir);
  if (remaining > 0) {
    // Workers still busy would make Stop() wait for them: exit without joining.
    spdlog::warn("drain timeout reached with {} request(s) in flight; exiting", remaining);
    spdlog::shutdown();
    std::_Exit(0);
  }
  server.Stop();
  http_thread.join();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace harvis::app
