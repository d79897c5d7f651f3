// Log routing for the ggml engines (whisper.cpp, llama.cpp and the one ggml they share).
// Both libraries print to stderr by default and both forward their setter to ggml's, so
// they must be given the SAME callback: GgmlLogCallback. It sends every line to spdlog at
// debug level, remembers the error lines per thread (to put in a Status), and lets a load
// capture the lines it logs (buffer sizes have no API in either library).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ggml.h"

namespace harvis {

// The callback to install with whisper_log_set and llama_log_set.
void GgmlLogCallback(ggml_log_level level, const char* text, void* user_data);

// While alive, every complete line logged on THIS thread is appended to `sink`.
// Not nestable; the sink must outlive the capture.
class GgmlLogCapture {
 public:
  explicit GgmlLogCapture(std::vector<std::string>* sink);
  ~GgmlLogCapture();
  GgmlLogCapture(const GgmlLogCapture&) = delete;
  GgmlLogCapture& operator=(const GgmlLogCapture&) = delete;
};

// The error lines logged on this thread since ClearGgmlErrors(), joined with "; " (the
// first few only); empty if none.
std::string GgmlErrors();
void ClearGgmlErrors();

// ": <error lines>" or "" (for the end of a Status message).
std::string GgmlErrorSuffix();

// A size that the libraries print as "... = %8.2f MiB" (or " MB"), in bytes, rounded up by
// the half-unit the two decimals may have lost; false if `line` holds no such size.
bool ParseLoggedSize(const std::string& line, std::uint64_t* bytes);

}  // namespace harvis
