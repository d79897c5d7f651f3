// The default TTS model of the Harvis routes: starts as `defaults.tts` and is changed at
// run time by POST /api/tts-engine. Thread-safe.
#pragma once

#include <mutex>
#include <string>

namespace harvis::http {

class TtsSelection {
 public:
  explicit TtsSelection(std::string model) : model_(std::move(model)) {}
  std::string Get() const {
    std::lock_guard lk(mu_);
    return model_;
  }
  void Set(std::string model) {
    std::lock_guard lk(mu_);
    model_ = std::move(model);
  }

 private:
  mutable std::mutex mu_;
  std::string model_;
};

}  // namespace harvis::http
