// `harvis serve`: loads the configuration, wires the layers together, serves until
// SIGTERM/SIGINT, then drains in-flight requests and exits 0.
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/commands.h"
#include "app/signals.h"
#include "app/runtime.h"
#include "app/startup.h"
#include "app/version.h"
#include "core/logging.h"
#include "http/routes.h"
#include "http/server.h"
#include "pipeline/audio_store.h"
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

// glibc gives each busy thread its own malloc arena (up to 8 per core); with dozens of HTTP
// workers the arenas fragment and RSS creeps up under load (+37 MiB in a 60 s load test,
// +18 MiB with 2 arenas, most of it the audio store filling). MALLOC_ARENA_MAX wins.
void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
}

// State of the Harvis routes; outlives the server.
struct RouteState {
  explicit RouteState(const Config& config)
      : audio({config.audio_store.max_bytes, std::chrono::duration_cast<std::chrono::seconds>(config.audio_store.ttl)}),
        tts(config.defaults.tts) {}
  pipeline::AudioStore audio;
  http::TtsSelection tts;
};

void RegisterRoutes(http::HttpServer& server, const Config& config, Runtime& rt, RouteState& state,
                    std::atomic<bool>& ready) {
  auto registry = rt.registry;
  http::RegisterHealthRoutes(server, {[&ready] { return ready.load(); }, [registry] {
                                        return prometheus::TextSerializer().Serialize(registry->Collect());
                                      }});
  http::ApiContext ctx;
  ctx.config = &config;
  ctx.scheduler = rt.scheduler.get();
  ctx.monitor = rt.monitor.get();
  ctx.started_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  ctx.audio_store = &state.audio;
  ctx.tts = &state.tts;
  http::RegisterOpenAiRoutes(server, ctx);
  http::RegisterHarvisRoutes(server, ctx);
  http::RegisterAdminRoutes(server, ctx);
  http::RegisterRealtimeRoute(server, ctx);
  http::RegisterWebPage(server);
}

// Starts the maintenance thread and loads the `preload: true` models; a model that
// fails to load is reported and the server still starts.
void StartScheduler(Scheduler& scheduler) {
  scheduler.Start();
  for (const auto& result : scheduler.Preload()) {
    if (result.status.ok()) {
      spdlog::info("preloaded {}", result.model);
    } else {
      spdlog::error("preload of {} failed: {}", result.model, result.status.message());
    }
  }
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
  LimitMallocArenas();
  spdlog::info("harvis {} starting (configuration: {})", kVersion, config->source);

  auto restarts = resources::RecordStart(config->state_dir);
  if (!restarts.ok()) {
    spdlog::critical("{}", restarts.status().message());
    return 1;
  }

  auto runtime = BuildRuntime(*config, *restarts, /*background=*/true);
  if (!runtime.ok()) {
    spdlog::critical("{}", runtime.status().message());
    resources::RecordCleanShutdown(config->state_dir);  // refused to start: not a crash
    return 1;
  }
  Runtime& rt = **runtime;
  std::atomic<bool> ready{false};
  RouteState route_state(*config);
  http::HttpServer server(HttpOptionsFrom(*config), *rt.registry);
  RegisterRoutes(server, *config, rt, route_state, ready);
  auto port = server.Bind(config->server.host, config->server.port);
  if (!port.ok()) {
    spdlog::critical("{}", port.status().message());
    resources::RecordCleanShutdown(config->state_dir);  // refused to start: not a crash
    return 1;
  }
  std::thread http_thread([&server] { server.Run(); });
  spdlog::info("listening on {}:{}", config->server.host, *port);
  StartScheduler(*rt.scheduler);
  ready = true;
  spdlog::info("ready");

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
  rt.scheduler->Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace harvis::app
