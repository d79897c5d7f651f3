// Turns a stream of generated pieces into text that is safe to send: holds back the bytes
// of an unfinished UTF-8 character (a token may end mid-character) and any tail that may
// be the start of a stop sequence, and ends the stream where a stop sequence appears
// (the stop sequence itself is not part of the answer, as in the OpenAI and Ollama APIs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace harvis {

class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stop);

  // Adds a piece; returns the text that may be sent now (possibly empty).
  std::string Push(std::string_view piece);
  // True once a stop sequence was seen: nothing more is returned.
  bool stopped() const { return stopped_; }
  // The end of generation: what was held back (an unfinished character becomes U+FFFD).
  std::string Finish();

 private:
  std::vector<std::string> stop_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace harvis
