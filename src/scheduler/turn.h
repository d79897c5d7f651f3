// Turn: one voice turn's view of the scheduler (SPEC §4 "Prewarm"). A turn announces
// its pipeline (STT, LLM, TTS model names) up front. Stage(i) leases stage i's model
// for the rest of the turn and starts loading stage i+1's model in the background, but
// only when that evicts nothing the turn still needs (stages i.. and leased models).
//
// Thread safety: a Turn is used by one thread (the request's); its background prewarm
// runs on a thread it owns and joins. Move-only; must not outlive its Scheduler.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "scheduler/lease.h"

namespace harvis {

class Scheduler;

class Turn {
 public:
  Turn(Turn&&) noexcept = default;
  Turn& operator=(Turn&&) = delete;
  Turn(const Turn&) = delete;
  ~Turn() { End(); }

  // Leases the model of stage `i` (once; it is held until End()) and prewarms the
  // next stage's model; a stage already leased is returned at once. An empty stage
  // name yields kInvalidArgument.
  Result<const Lease*> Stage(size_t i);
  const std::vector<std::string>& pipeline() const { return pipeline_; }
  // Joins the prewarm and releases every lease. Idempotent.
  void End();

 private:
  friend class Scheduler;
  Turn(Scheduler* scheduler, std::vector<std::string> pipeline, Priority priority);
  void JoinPrewarm();

  Scheduler* scheduler_;
  std::vector<std::string> pipeline_;
  Priority priority_;
  std::vector<Lease> leases_;  // by stage
  std::thread prewarm_;
};

}  // namespace harvis
