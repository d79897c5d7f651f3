#if HARVIS_WITH_GGML

#include "engines/ggml/ggml_log.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace harvis {
namespace {

// Per-thread: the line being assembled (ggml sends pieces with GGML_LOG_LEVEL_CONT), its
// level, the error lines, and the active capture sink. Thread-local, so concurrent loads
// on different threads never mix their numbers.
struct ThreadLog {
  std::string line;
  ggml_log_level level = GGML_LOG_LEVEL_INFO;
  std::vector<std::string> errors;
  std::vector<std::string>* sink = nullptr;
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
  std::string line = Trim(t_log.line);
  t_log.line.clear();
  if (line.empty()) return;
  spdlog::debug("ggml: {}", line);
  if (t_log.level == GGML_LOG_LEVEL_ERROR && t_log.errors.size() < kMaxErrors) {
    t_log.errors.push_back(line);
  }
  if (t_log.sink != nullptr) t_log.sink->push_back(std::move(line));
}

}  // namespace

void GgmlLogCallback(ggml_log_level level, const char* text, void* /*user_data*/) {
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

GgmlLogCapture::GgmlLogCapture(std::vector<std::string>* sink) { t_log.sink = sink; }

GgmlLogCapture::~GgmlLogCapture() {
  if (!t_log.line.empty()) FinishLine();
  t_log.sink = nullptr;
}

std::string GgmlErrors() {
  std::string joined;
  for (const auto& e : t_log.errors) joined += (joined.empty() ? "" : "; ") + e;
  return joined;
}

void ClearGgmlErrors() { t_log.errors.clear(); }

std::string GgmlErrorSuffix() {
  const std::string errors = GgmlErrors();
  return errors.empty() ? "" : ": " + errors;
}

bool ParseLoggedSize(const std::string& line, std::uint64_t* bytes) {
  const bool mib = line.size() >= 4 && line.compare(line.size() - 4, 4, " MiB") == 0;
  const bool mb = line.size() >= 3 && line.compare(line.size() - 3, 3, " MB") == 0;
  if (!mib && !mb) return false;
  const auto eq = line.rfind('=');
  if (eq == std::string::npos) return false;
  char* end = nullptr;
  const double value = std::strtod(line.c_str() + eq + 1, &end);
  if (end == line.c_str() + eq + 1 || !(value >= 0)) return false;
  const double unit = mib ? 1024.0 * 1024.0 : 1e6;
  *bytes = static_cast<std::uint64_t>(std::ceil((value + 0.005) * unit));
  return true;
}

}  // namespace harvis

#endif  // HARVIS_WITH_GGML
