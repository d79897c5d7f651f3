// Turn: one voice turn's view of the scheduler (SPEC §4 "Prewarm"). A turn announces
// its pipeline (STT, LLM, TTS model names) up front. Stage(i) leases stage i's model
// for the rest of the turn and starts loading stage i+1's model in the background, but
// only when that evicts nothing the turn still needs (stages i.. and leased models).
// A prewarmed model is leased at once, so that no other request evicts it before the
// turn reaches its stage.
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
  // Joins the other's prewarm first (its thread writes into the turn).
  Turn(Turn&& other) noexcept;
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

  static constexpr size_t kNoStage = static_cast<size_t>(-1);

  Scheduler* scheduler_;
  std::vector<std::string> pipeline_;
  Priority priority_;
  std::vector<Lease> leases_;  // by stage
  std::thread prewarm_;
  size_t prewarm_stage_ = kNoStage;  // the stage the running prewarm is for
  Lease prewarm_lease_;               // written by the prewarm thread; read after the join
};

}  // namespace harvis
