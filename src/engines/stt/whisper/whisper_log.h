// whisper.cpp log routing, on the shared ggml router (engines/ggml/ggml_log.h): a load
// captures the buffer sizes whisper.cpp reports while it allocates them (there is no API
// for them): "<buffer> total size = X MB" for the weights, "kv self/cross/pad size = X MB"
// and "compute buffer (...) = X MB" for each state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/ggml/ggml_log.h"

namespace harvis {

// One buffer size reported by whisper.cpp, e.g. {"whisper_model_load: CPU total size", 6930000}.
struct WhisperReportedBuffer {
  std::string label;
  std::uint64_t bytes = 0;  // rounded up: whisper prints MB with two decimals
};

// Installs the routing (idempotent, thread-safe). Call before any whisper.cpp call.
void InstallWhisperLogRouting();

// While alive, buffer sizes that whisper.cpp logs on THIS thread are appended to `sink`
// (when the capture ends). Not nestable; the sink must outlive the capture.
class WhisperBufferCapture {
 public:
  explicit WhisperBufferCapture(std::vector<WhisperReportedBuffer>* sink);
  ~WhisperBufferCapture();
  WhisperBufferCapture(const WhisperBufferCapture&) = delete;
  WhisperBufferCapture& operator=(const WhisperBufferCapture&) = delete;

 private:
  std::vector<WhisperReportedBuffer>* sink_;
  std::vector<std::string> lines_;
  std::optional<GgmlLogCapture> capture_;
};

// The error lines whisper.cpp logged on this thread since ClearWhisperErrors(), joined
// with "; " (the first few only); empty if none.
std::string WhisperErrors();
void ClearWhisperErrors();

// Parses a whisper.cpp size line ("...: kv self size  =    6.29 MB"); false if it is not one.
bool ParseWhisperBufferLine(const std::string& line, WhisperReportedBuffer* out);

}  // namespace harvis
