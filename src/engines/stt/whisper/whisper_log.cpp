#include "engines/stt/whisper/whisper_log.h"

#if HARVIS_WITH_WHISPER

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <mutex>

#include "whisper.h"

namespace harvis {
namespace {

// Per-thread: the line being assembled (ggml sends pieces with GGML_LOG_LEVEL_CONT), its
// level, the error lines, and the active capture sink. Thread-local, so concurrent
// loads on different threads never mix their numbers.
struct ThreadLog {
  std::string line;
  ggml_log_level level = GGML_LOG_LEVEL_INFO;
  std::vector<std::string> errors;
  std::vector<WhisperReportedBuffer>* sink = nullptr;
};
thread_local ThreadLog t_log;
constexpr size_t kMaxErrors = 4;

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void FinishLine() {
  const std::string line = Trim(t_log.line);
  t_log.line.clear();
  if (line.empty()) return;
  spdlog::debug("whisper.cpp: {}", line);
  if (t_log.level == GGML_LOG_LEVEL_ERROR && t_log.errors.size() < kMaxErrors) {
    t_log.errors.push_back(line);
  }
  WhisperReportedBuffer buffer;
  if (t_log.sink != nullptr && ParseWhisperBufferLine(line, &buffer)) {
    t_log.sink->push_back(std::move(buffer));
  }
}

void OnLog(ggml_log_level level, const char* text, void* /*user_data*/) {
  if (text == nullptr) return;
  if (level != GGML_LOG_LEVEL_CONT) {
    if (!t_log.line.empty()) FinishLine();  // a new message ends an unterminated one
    t_log.level = level;
  }
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p == '\n') {
      FinishLine();
    } else {
      t_log.line += *p;
    }
  }
}

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

bool ParseWhisperBufferLine(const std::string& line, WhisperReportedBuffer* out) {
  const bool weights = Contains(line, "whisper_model_load:") && Contains(line, "total size =");
  const bool state = Contains(line, "whisper_init_state:") &&
                     (Contains(line, "size  =") || Contains(line, "size =") ||
                      Contains(line, "compute buffer ("));
  if ((!weights && !state) || !Contains(line, " MB")) return false;
  const auto eq = line.rfind('=');
  if (eq == std::string::npos) return false;
  char* end = nullptr;
  const double mb = std::strtod(line.c_str() + eq + 1, &end);
  if (end == line.c_str() + eq + 1 || !(mb >= 0)) return false;
  out->label = Trim(line.substr(0, eq));
  // Printed with "%.2f MB" (1 MB = 1e6 bytes): round up by the half-unit it may have lost.
  out->bytes = static_cast<std::uint64_t>(std::ceil((mb + 0.005) * 1e6));
  return true;
}

void InstallWhisperLogRouting() {
  static std::once_flag once;
  std::call_once(once, [] { whisper_log_set(&OnLog, nullptr); });
}

WhisperBufferCapture::WhisperBufferCapture(std::vector<WhisperReportedBuffer>* sink) {
  t_log.sink = sink;
}

WhisperBufferCapture::~WhisperBufferCapture() {
  if (!t_log.line.empty()) FinishLine();
  t_log.sink = nullptr;
}

std::string WhisperErrors() {
  std::string joined;
  for (const auto& e : t_log.errors) joined += (joined.empty() ? "" : "; ") + e;
  return joined;
}
void ClearWhisperErrors() { t_log.errors.clear(); }

}  // namespace harvis

#endif  // HARVIS_WITH_WHISPER
