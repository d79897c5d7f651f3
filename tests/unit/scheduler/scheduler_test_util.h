// Helpers for scheduler tests: simulated models and devices.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engines/engine.h"
#include "scheduler/scheduler.h"

namespace harvis::testing {

inline ModelConfig SimModel(const std::string& name, std::uint64_t memory,
                            ModelKind kind = ModelKind::kLlm) {
  ModelConfig m;
  m.name = name;
  m.kind = kind;
  m.engine = "simulated";
  m.memory = memory;
  m.keep_alive = kForever;
  return m;
}

inline DeviceInfo SimGpu(const std::string& id, std::uint64_t budget) {
  return DeviceInfo{id, DeviceKind::kGpu, budget, budget, true, -1};
}

inline DeviceInfo Host(std::uint64_t budget) {
  return DeviceInfo{"cpu", DeviceKind::kCpu, budget, budget, false, -1};
}

struct Harness {
  EngineRegistry engines = DefaultEngineRegistry();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<Scheduler> scheduler;

  // Builds the scheduler; returns its status (the scheduler stays null on error).
  Status Build(std::vector<ModelConfig> models, std::vector<DeviceInfo> devices,
               SchedulerOptions options = {}, SchedulerDeps deps = {}) {
    deps.engines = &engines;
    if (!deps.clock) deps.clock = clock;
    auto s = Scheduler::Create(std::move(models), std::move(devices), std::move(options),
                               std::move(deps));
    if (!s.ok()) return s.status();
    scheduler = std::move(s).value();
    return Status::Ok();
  }

  std::string State(const std::string& model) const {
    auto s = scheduler->GetModel(model);
    return s.ok() ? s->state : "?";
  }
  std::string DeviceOf(const std::string& model) const {
    auto s = scheduler->GetModel(model);
    return s.ok() ? s->device : "?";
  }
};

}  // namespace harvis::testing
