#include "scheduler/turn.h"

#include <spdlog/spdlog.h>

#include "scheduler/scheduler.h"

namespace harvis {

Turn::Turn(Scheduler* scheduler, std::vector<std::string> pipeline, Priority priority)
    : scheduler_(scheduler), pipeline_(std::move(pipeline)), priority_(priority),
      leases_(pipeline_.size()) {}

Turn::Turn(Turn&& other) noexcept {
  other.JoinPrewarm();
  scheduler_ = other.scheduler_;
  pipeline_ = std::move(other.pipeline_);
  priority_ = other.priority_;
  leases_ = std::move(other.leases_);
}

void Turn::JoinPrewarm() {
  if (prewarm_.joinable()) prewarm_.join();
  if (prewarm_lease_.valid()) leases_[prewarm_stage_] = std::move(prewarm_lease_);
  prewarm_stage_ = kNoStage;
}

Result<const Lease*> Turn::Stage(size_t i) {
  if (i >= pipeline_.size() || pipeline_[i].empty()) {
    return Status(ErrorCode::kInvalidArgument, "turn has no stage " + std::to_string(i));
  }
  // Already leased: nothing new to prewarm, no need to wait for the prewarm.
  if (i != prewarm_stage_ && leases_[i].valid()) return &leases_[i];
  JoinPrewarm();
  if (!leases_[i].valid()) {  // else the prewarm leased it
    // The same model may serve two stages: share the first lease.
    for (size_t k = 0; k < i; ++k) {
      if (pipeline_[k] == pipeline_[i] && leases_[k].valid()) return &leases_[k];
    }
    AcquireOptions options;
    options.priority = priority_;
    auto lease = scheduler_->Acquire(pipeline_[i], options);
    if (!lease.ok()) return lease.status();
    leases_[i] = std::move(lease).value();
  }
  // Prewarm the next stage's model without evicting anything this turn still needs.
  if (i + 1 < pipeline_.size() && !pipeline_[i + 1].empty()) {
    std::vector<std::string> keep(pipeline_.begin() + static_cast<long>(i), pipeline_.end());
    std::string next = pipeline_[i + 1];
    Scheduler* s = scheduler_;
    prewarm_stage_ = i + 1;
    prewarm_ = std::thread([this, s, next = std::move(next), keep = std::move(keep)] {
      auto lease = s->Prewarm(next, keep, priority_);
      if (lease.ok()) {
        prewarm_lease_ = std::move(lease).value();
      } else {
        spdlog::debug("prewarm of '{}' skipped: {}", next, lease.status().message());
      }
    });
  }
  return &leases_[i];
}

void Turn::End() {
  JoinPrewarm();
  for (Lease& lease : leases_) lease.Release();
}

}  // namespace harvis
