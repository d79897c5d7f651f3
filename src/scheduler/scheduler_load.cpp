// Admission and loading: placement, victim planning, the wait queue, the load itself
// and the correction of the reservation to the measured footprint.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "scheduler/scheduler_internal.h"

namespace harvis {
namespace {

int SecondsUntil(Clock::TimePoint now, Clock::TimePoint then) {
  return std::max(1, static_cast<int>(std::ceil(SecondsBetween(now, then))));
}

}  // namespace

Status Scheduler::EnsureLoaded(ModelEntry& m, const LoadMode& mode, Lock& lk) {
  QueueSlot slot(*this);
  int reserve_races = 0;
  for (;;) {
    switch (m.state) {
      case ModelState::kReady:
        if (!m.unload_requested) return Status::Ok();
        // A forced unload waits for the current leases: wait for it, but not forever.
        if (cv_.wait_until(lk, mode.deadline) == std::cv_status::timeout) {
          return Status(ErrorCode::kUnavailable, "model '" + m.config.name + "' is being unloaded")
              .WithRetryAfter(1);
        }
        continue;
      case ModelState::kLoading:
      case ModelState::kUnloading:
        cv_.wait(lk);  // loads and unloads always finish
        continue;
      case ModelState::kFailed:
        if (clock_->Now() < m.retry_at) {
          return Status(ErrorCode::kUnavailable,
                        "model '" + m.config.name + "' failed to load: " + m.last_error)
              .WithRetryAfter(SecondsUntil(clock_->Now(), m.retry_at));
        }
        break;
      case ModelState::kUnloaded:
        break;
    }
    if (slot.ticket != nullptr) {
      slot.ticket->attempted_epoch = epoch_;
      cv_.notify_all();  // the tickets behind may attempt too
    }
    const std::uint64_t epoch = epoch_;
    auto attempt = AttemptLoad(m, mode, lk);
    if (!attempt.ok()) return attempt.status();
    if (*attempt == Attempt::kLoaded) continue;
    if (*attempt == Attempt::kRetry && ++reserve_races < 3) continue;
    if (epoch != epoch_) continue;  // something changed meanwhile: try again at once
    if (!mode.may_queue) {
      return Status(ErrorCode::kResourceExhausted,
                    "no room for model '" + m.config.name + "' without evicting needed models")
          .WithRetryAfter(1);
    }
    if (Status st = WaitForRoom(m, mode, slot, lk); !st.ok()) return st;
    reserve_races = 0;
  }
}

Status Scheduler::WaitForRoom(ModelEntry& m, const LoadMode& mode, QueueSlot& slot, Lock& lk) {
  const int retry_after =
      std::max(1, static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(
                                       options_.queue_timeout).count() / 4));
  if (slot.ticket == nullptr) {
    slot.ticket = queue_.Push(mode.priority, epoch_);
    if (slot.ticket == nullptr) {
      return Status(ErrorCode::kResourceExhausted,
                    std::string("the ") + PriorityLabel(mode.priority) +
                        " wait queue is full; no room for model '" + m.config.name + "'")
          .WithRetryAfter(retry_after);
    }
    metrics_.SetQueueDepth(PriorityLabel(mode.priority), queue_.Depth(mode.priority));
  }
  while (!queue_.MayAttempt(*slot.ticket, epoch_)) {
    if (cv_.wait_until(lk, mode.deadline) == std::cv_status::timeout &&
        !queue_.MayAttempt(*slot.ticket, epoch_)) {
      return Status(ErrorCode::kResourceExhausted,
                    "model '" + m.config.name + "' waited " + FormatDuration(options_.queue_timeout) +
                        " for room and timed out")
          .WithRetryAfter(retry_after);
    }
  }
  return Status::Ok();
}

Result<Scheduler::Attempt> Scheduler::AttemptLoad(ModelEntry& m, const LoadMode& mode, Lock& lk) {
  const std::uint64_t need = PredictBytes(m);
  auto placement = ChooseDevice(m, need, mode);
  if (!placement.ok()) return placement.status();
  const size_t d = placement->device;
  lk.unlock();
  Lock load(devices_[d]->load_mu);
  lk.lock();
  if (m.state != ModelState::kUnloaded &&
      !(m.state == ModelState::kFailed && clock_->Now() >= m.retry_at)) {
    return Attempt::kRetry;  // another request moved it on meanwhile
  }
  const bool split = placement->plan && placement->plan->gpu_layers >= 0;
  auto plan = split ? PlanSplitOn(m, d, need, mode) : PlanOn(m, d, need, mode);
  if (!plan) return Attempt::kNoRoom;
  // Claim the model so that no other request loads it elsewhere, then make room.
  SetState(m, ModelState::kLoading);
  m.admitting = true;
  m.device = d;
  for (size_t i = 0; i < plan->victims.size(); ++i) {
    BeginUnload(*plan->victims[i], i < plan->group_victims ? "group" : "pressure");
  }
  for (size_t i = 0; i < plan->victims.size(); ++i) {
    UnloadEngine(*plan->victims[i], i < plan->group_victims ? "group" : "pressure", lk);
  }
  if (Status st = ReserveFor(m, *plan, need, lk); !st.ok()) {
    m.admitting = false;
    m.device = kNoDevice;
    SetState(m, ModelState::kUnloaded);
    NotifyChange();
    return Attempt::kRetry;
  }
  if (Status st = RunEngineLoad(m, d, lk); !st.ok()) return st;
  return Attempt::kLoaded;
}

Status Scheduler::ReserveFor(ModelEntry& m, const AdmitPlan& plan, std::uint64_t need, Lock&) {
  const size_t d = plan.device;
  const std::string& id = DeviceId(d);
  const std::string& host = DeviceId(host_);
  // A split reserves its host share first: the RAM tier gives way to it.
  const std::uint64_t on_host = d == host_ ? need : plan.host_bytes;
  if (on_host > 0) {
    const std::uint64_t free = ledger_.Free(host);
    if (free < on_host) ram_tier_.FreeAtLeast(on_host - free);
  }
  if (plan.host_bytes > 0) {
    if (Status st = ledger_.Reserve(host, m.owner, plan.host_bytes); !st.ok()) return st;
  }
  Status st = ledger_.Reserve(id, m.owner, need - plan.host_bytes);
  if (!st.ok()) {
    if (plan.host_bytes > 0) ledger_.Release(host, m.owner);
    return st;
  }
  m.admitting = false;
  m.reserved = need - plan.host_bytes;
  m.host_share = plan.host_bytes;
  m.gpu_layers = plan.gpu_layers;
  metrics_.SetResident(m.config.name, id, true);
  Emit(SchedulerEvent::Kind::kLoadStarted, m, "");
  return Status::Ok();
}

Result<Scheduler::Placement> Scheduler::ChooseDevice(const ModelEntry& m, std::uint64_t need,
                                                     const LoadMode& mode) const {
  const size_t forced = mode.device.value_or(kNoDevice);
  const std::vector<size_t>& eligible_list = m.eligible;
  const size_t* first = mode.device ? &forced : eligible_list.data();
  const size_t* last = mode.device ? &forced + 1 : eligible_list.data() + eligible_list.size();
  struct Span {
    const size_t* b;
    const size_t* e;
    const size_t* begin() const { return b; }
    const size_t* end() const { return e; }
  } eligible{first, last};
  std::optional<size_t> best, fallback;
  std::optional<AdmitPlan> best_plan;
  std::vector<AdmitPlan> splits;
  for (size_t d : eligible) {
    const DeviceInfo& info = devices_[d]->info;
    if (auto split = PlanSplitOn(m, d, need, mode)) splits.push_back(std::move(*split));
    if (need > info.budget) {
      // Too big for it whole: a split may fit later, so it may be waited for.
      if (MaySplitOn(m, d, need) && !fallback) fallback = d;
      continue;
    }
    // Where nothing fits now, wait for the GPU with the largest budget (else host).
    if (!fallback || (info.kind == DeviceKind::kGpu &&
                      (devices_[*fallback]->info.kind != DeviceKind::kGpu ||
                       info.budget > devices_[*fallback]->info.budget))) {
      fallback = d;
    }
    auto plan = PlanOn(m, d, need, mode);
    if (!plan) continue;
    auto key = [&](const AdmitPlan& p) {
      return std::make_tuple(p.cost, devices_[p.device]->info.kind == DeviceKind::kCpu,
                             p.leftover);
    };
    if (!best_plan || key(*plan) < key(*best_plan)) best_plan = std::move(plan);
  }
  // A split where the best whole placement would evict models that will be needed, or
  // would put all of the model's layers in host RAM (priced as a split with none on the
  // GPU, see scheduler_split.cpp).
  if (!splits.empty()) {
    double reload = 0, likelihood = 0;
    ScoreOf(m, clock_->Now(), &reload, &likelihood);
    auto effective = [&](const AdmitPlan& p) {
      return p.cost + (devices_[p.device]->info.kind == DeviceKind::kCpu ? reload * likelihood : 0.0);
    };
    for (auto& split : splits) {
      if (!best_plan || split.cost < effective(*best_plan)) best_plan = std::move(split);
    }
  }
  if (best_plan) return Placement{best_plan->device, std::move(best_plan)};
  if (fallback) return Placement{*fallback, std::nullopt};
  std::uint64_t largest = 0;
  for (size_t d : eligible) largest = std::max(largest, devices_[d]->info.budget);
  return Status(ErrorCode::kFailedPrecondition,
                "model '" + m.config.name + "' needs " + FormatBytes(need) +
                    ", more than the largest budget it may use (" + FormatBytes(largest) + ")");
}

bool Scheduler::Evictable(const ModelEntry& m, const LoadMode& mode) const {
  if (m.state != ModelState::kReady || m.leases > 0 || m.config.pinned || m.unload_requested) {
    return false;
  }
  return std::find(mode.protect.begin(), mode.protect.end(), &m) == mode.protect.end();
}

std::optional<Scheduler::AdmitPlan> Scheduler::PlanOn(const ModelEntry& m, size_t d,
                                                      std::uint64_t need,
                                                      const LoadMode& mode) const {
  const std::string& id = DeviceId(d);
  if (need > ledger_.Budget(id)) return std::nullopt;
  std::uint64_t free = ledger_.Free(id) + (d == host_ && !mode.no_victims ? ram_tier_.bytes() : 0);
  const Clock::TimePoint now = clock_->Now();
  AdmitPlan plan;
  plan.device = d;
  if (m.group >= 0) {
    for (ModelEntry* g : groups_[static_cast<size_t>(m.group)]) {
      if (g == &m || !(g->Resident() || g->state == ModelState::kLoading)) continue;
      if (mode.no_victims || !Evictable(*g, mode)) return std::nullopt;  // leased, pinned, moving
      plan.victims.push_back(g);
      double reload = 0, likelihood = 0;
      ScoreOf(*g, now, &reload, &likelihood);
      plan.cost += reload * likelihood;
      if (g->device == d) free += g->reserved;
    }
  }
  plan.group_victims = plan.victims.size();
  if (free >= need) {
    plan.leftover = free - need;
    return plan;
  }
  if (mode.no_victims) return std::nullopt;
  // The hot path of an admission: no allocation once the scratch buffers have grown.
  std::vector<VictimCandidate>& candidates = scratch_.candidates;
  std::vector<ModelEntry*>& owners = scratch_.owners;
  candidates.clear();
  owners.clear();
  for (const auto& xp : models_) {
    const ModelEntry& x = *xp;
    if (x.device != d || &x == &m || !Evictable(x, mode)) continue;
    if (x.group >= 0 && x.group == m.group) continue;  // already a group victim
    const Duration ka = KeepAlive(x);
    VictimCandidate& c = candidates.emplace_back();
    c.id = owners.size();
    c.bytes = x.reserved;
    ScoreOf(x, now, &c.reload_seconds, &c.reuse_likelihood);
    c.last_used = x.last_used;
    c.keep_alive = ka;
    c.expires_at = ka == kForever ? Clock::TimePoint::max() : x.idle_since + ka;
    c.expired = IdleExpired(x, ka, now);
    if (forecast_) c.next_use_s = forecast_->SecondsToNextUse(x.config.name, now);
    owners.push_back(xp.get());
  }
  std::vector<size_t>& chosen = scratch_.chosen;
  if (!policy_->Select(candidates, need - free, chosen, scratch_.select)) return std::nullopt;
  std::uint64_t freed = 0;
  plan.victims.reserve(plan.victims.size() + chosen.size());
  for (size_t i : chosen) {
    plan.victims.push_back(owners[i]);
    freed += candidates[i].bytes;
  }
  plan.cost += EvictionPolicy::CostOf(candidates, chosen);
  plan.leftover = free + freed - need;
  return plan;
}

Status Scheduler::RunEngineLoad(ModelEntry& m, size_t d, Lock& lk) {
  const DeviceInfo& info = devices_[d]->info;
  std::optional<WeightBlob> blob;
  if (m.engine->CanLoadFromMemory()) blob = ram_tier_.Get(m.config.name);
  LoadRequest request;
  request.device = DeviceTarget{info.id, info.kind, info.gpu_index, info.simulated};
  request.path = m.config.path;
  request.weights = blob ? &*blob : nullptr;
  request.gpu_layers = m.gpu_layers;
  lk.unlock();
  const auto before = probe_ ? probe_->UsedBytes(info.id) : std::nullopt;
  double seconds = 0;  // the engine's own load time: reload cost and eviction use it
  // The device's load lock is held: a load never waits for compute. On the host it
  // takes the cores free now (else one thread); elsewhere one host thread.
  auto load = [&] {
    std::optional<ComputeGrant> grant;
    if (info.kind == DeviceKind::kCpu && m.engine->UsesLocalCpu()) grant = cpu().TryAcquire(4);
    request.threads = grant ? grant->units() : 1;
    const Clock::TimePoint start = clock_->Now();
    Status st = m.engine->Load(request);
    seconds = SecondsBetween(start, clock_->Now());
    return st;
  };
  Status st = load();
  if (st.code() == ErrorCode::kResourceExhausted && !m.tenant_name.empty()) {
    // The tenant (Ollama) ran out of memory: free our own idle models there, retry once.
    lk.lock();
    const int freed = EvictOwnIdleOn(d, lk);
    lk.unlock();
    if (freed > 0) st = load();
  }
  const std::uint64_t measured = st.ok() ? Measure(m, d, before) : 0;
  const std::uint64_t host_measured = st.ok() && m.host_share > 0 ? m.engine->HostBytes() : 0;
  if (st.ok() && blob) ram_tier_.Drop(m.config.name);
  lk.lock();
  if (st.ok()) {
    st = ledger_.Resize(info.id, m.owner, measured);
    if (st.ok() && m.host_share > 0 && host_measured > 0) {
      st = ledger_.Resize(DeviceId(host_), m.owner, host_measured);
      if (st.ok()) m.host_share = host_measured;
    }
    if (!st.ok()) {
      lk.unlock();
      m.engine->Unload();
      lk.lock();
      m.measured = measured + host_measured;  // the next attempt predicts (and evicts for) the real size
      m.InvalidateScore();
    }
  }
  if (!st.ok()) return FinishFailedLoad(m, st);
  FinishGoodLoad(m, measured, seconds);
  store_dirty_ = true;  // written by SaveMeasurements() once no lock is held
  return Status::Ok();
}

std::uint64_t Scheduler::Measure(ModelEntry& m, size_t d, std::optional<std::uint64_t> before) {
  std::uint64_t measured = m.engine->FootprintBytes();
  if (probe_ && before) {
    if (auto after = probe_->UsedBytes(DeviceId(d)); after && *after > *before) {
      measured = std::max(measured, *after - *before);
    }
  }
  if (measured == 0) measured = PredictBytes(m);  // nothing to go by: keep the prediction
  return measured;
}

Status Scheduler::FinishFailedLoad(ModelEntry& m, Status why) {
  const std::string& id = DeviceId(m.device);
  ledger_.Release(id, m.owner);
  ReleaseHostShare(m);
  metrics_.SetResident(m.config.name, id, false);
  metrics_.CountLoad(m.config.name, false, 0);
  m.reserved = 0;
  ++m.failures;
  const Duration backoff = FailureBackoff(m.failures);
  m.retry_at = clock_->Now() + backoff;
  m.last_error = why.message();
  SetState(m, ModelState::kFailed);
  Emit(SchedulerEvent::Kind::kLoadFailed, m, why.message());
  m.device = kNoDevice;
  NotifyChange();
  spdlog::warn("model '{}' failed to load: {} (retry in {})", m.config.name, why.message(),
               FormatDuration(backoff));
  const int retry = std::max<int>(1, static_cast<int>(backoff.count() / 1000));
  return Status(ErrorCode::kUnavailable,
                "model '" + m.config.name + "' failed to load: " + why.message())
      .WithRetryAfter(retry);
}

void Scheduler::FinishGoodLoad(ModelEntry& m, std::uint64_t measured, double seconds) {
  m.reserved = measured;
  m.measured = measured + m.host_share;  // a split's prediction is the whole model
  m.last_load_seconds = seconds;
  m.InvalidateScore();
  ++m.load_count;
  m.failures = 0;
  m.last_error.clear();
  m.idle_since = clock_->Now();
  SetState(m, ModelState::kReady);
  metrics_.CountLoad(m.config.name, true, seconds);
  store_.Record(m.config.name, m.measured, seconds);
  Emit(SchedulerEvent::Kind::kReady, m, "");
  NotifyChange();
  if (m.host_share > 0) {
    spdlog::info("model '{}' ready on {} with {} layers: {} there, {} in host RAM, in {:.2f}s", m.config.name,
                 DeviceId(m.device), m.gpu_layers, FormatBytes(measured), FormatBytes(m.host_share), seconds);
  } else {
    spdlog::info("model '{}' ready on {}: {} in {:.2f}s", m.config.name, DeviceId(m.device),
                 FormatBytes(measured), seconds);
  }
}

}  // namespace harvis
