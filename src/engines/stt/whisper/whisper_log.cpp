#if HARVIS_WITH_WHISPER

#include "engines/stt/whisper/whisper_log.h"

#include <mutex>

#include "whisper.h"

namespace harvis {
namespace {

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

bool ParseWhisperBufferLine(const std::string& line, WhisperReportedBuffer* out) {
  const bool weights = Contains(line, "whisper_model_load:") && Contains(line, "total size =");
  const bool state = Contains(line, "whisper_init_state:") &&
                     (Contains(line, "size  =") || Contains(line, "size =") ||
                      Contains(line, "compute buffer ("));
  if ((!weights && !state) || !Contains(line, " MB")) return false;
  const auto eq = line.rfind('=');
  if (eq == std::string::npos) return false;
  std::uint64_t bytes = 0;
  if (!ParseLoggedSize(line.substr(0, line.find(" MB") + 3), &bytes)) return false;
  out->label = Trim(line.substr(0, eq));
  out->bytes = bytes;
  return true;
}

void InstallWhisperLogRouting() {
  static std::once_flag once;
  std::call_once(once, [] { whisper_log_set(&GgmlLogCallback, nullptr); });
}

WhisperBufferCapture::WhisperBufferCapture(std::vector<WhisperReportedBuffer>* sink) : sink_(sink) {
  capture_.emplace(&lines_);
}

WhisperBufferCapture::~WhisperBufferCapture() {
  capture_.reset();  // ends the capture, flushing an unterminated line
  for (const auto& line : lines_) {
    WhisperReportedBuffer buffer;
    if (ParseWhisperBufferLine(line, &buffer)) sink_->push_back(std::move(buffer));
  }
}

std::string WhisperErrors() { return GgmlErrors(); }
void ClearWhisperErrors() { ClearGgmlErrors(); }

}  // namespace harvis

#endif  // HARVIS_WITH_WHISPER
