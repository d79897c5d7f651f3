#include "scheduler/wait_queue.h"

namespace harvis {

WaitQueue::Ticket* WaitQueue::Push(Priority priority, std::uint64_t epoch) {
  auto& queue = queues_[Index(priority)];
  if (queue.size() >= capacity_) return nullptr;
  queue.push_back(Ticket{priority, next_seq_++, epoch});
  return &queue.back();
}

void WaitQueue::Remove(Ticket* ticket) {
  auto& queue = queues_[Index(ticket->priority)];
  for (auto it = queue.begin(); it != queue.end(); ++it) {
    if (&*it == ticket) {
      queue.erase(it);
      return;
    }
  }
}

bool WaitQueue::MayAttempt(const Ticket& ticket, std::uint64_t epoch) const {
  if (ticket.attempted_epoch == epoch) return false;
  for (size_t p = 0; p <= Index(ticket.priority); ++p) {
    for (const Ticket& other : queues_[p]) {
      if (&other == &ticket) return true;
      if (other.attempted_epoch != epoch) return false;
    }
  }
  return true;
}

}  // namespace harvis
