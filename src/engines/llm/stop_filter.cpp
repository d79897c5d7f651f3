#include "engines/llm/stop_filter.h"

#include <algorithm>

#include "core/utf8.h"

namespace harvis {

StopFilter::StopFilter(std::vector<std::string> stop) {
  for (auto& s : stop) {
    if (!s.empty()) stop_.push_back(std::move(s));
  }
}

std::string StopFilter::Push(std::string_view piece) {
  if (stopped_) return "";
  pending_ += piece;
  size_t cut = pending_.size();
  for (const auto& s : stop_) {
    if (auto at = pending_.find(s); at != std::string::npos && at < cut) {
      cut = at;
      stopped_ = true;
    }
  }
  if (stopped_) {
    std::string out = SanitizeUtf8(pending_.substr(0, cut));
    pending_.clear();
    return out;
  }
  // Hold back the longest tail that is a proper prefix of a stop sequence.
  size_t hold = 0;
  for (const auto& s : stop_) {
    for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k) {
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  hold = std::max(hold, UnfinishedUtf8Tail(pending_));
  std::string out = SanitizeUtf8(pending_.substr(0, pending_.size() - hold));
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StopFilter::Finish() {
  std::string out = stopped_ ? "" : SanitizeUtf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace harvis
