// A fixed set of threads that run the HTTP handlers (engine calls block for seconds),
// so the event loops that own the connections never wait on a model.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace harvis::http {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a task; tasks beyond the free threads wait their turn. After Shutdown, the
  // task is dropped (returns false).
  bool Post(std::function<void()> task);
  // Runs what is queued, then joins the threads. Idempotent.
  void Shutdown();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace harvis::http
