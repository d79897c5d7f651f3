#include "engines/tts/tts_common.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>

#include <unistd.h>

#include "audio/resample.h"

namespace harvis::tts {
namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Words after which a period does not end a sentence (compared lower-case, without
// the final period).
constexpr std::array<std::string_view, 16> kAbbreviations = {
    "mr", "mrs", "ms",  "dr", "st",  "prof",   "sr", "jr",
    "vs", "e.g", "i.e", "no", "fig", "approx", "mt", "inc"};

// Strips closing quotes and brackets so that `said "Hi."` still ends at the period.
std::string_view WithoutClosers(std::string_view word) {
  while (!word.empty() && std::string_view("\"')]}").find(word.back()) != std::string_view::npos) {
    word.remove_suffix(1);
  }
  return word;
}

bool EndsSentence(std::string_view word) {
  std::string_view core = WithoutClosers(word);
  if (core.empty()) return false;
  const char last = core.back();
  if (last == '!' || last == '?' || last == ';' || last == ':') return true;
  if (last != '.') return false;
  std::string_view stem = core.substr(0, core.size() - 1);
  if (stem.size() == 1 && std::isalpha(static_cast<unsigned char>(stem[0]))) return false;
  const std::string lower = Lower(stem);
  return std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) == kAbbreviations.end();
}

// Cuts one over-long word into pieces of at most max_chars bytes, never inside a UTF-8
// sequence.
std::vector<std::string> CutWord(std::string_view word, std::size_t max_chars) {
  std::vector<std::string> pieces;
  while (word.size() > max_chars) {
    std::size_t cut = max_chars;
    while (cut > 1 && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) --cut;
    pieces.emplace_back(word.substr(0, cut));
    word.remove_prefix(cut);
  }
  if (!word.empty()) pieces.emplace_back(word);
  return pieces;
}

// Accumulates words into sentences of bounded length.
class SentenceBuilder {
 public:
  explicit SentenceBuilder(std::size_t max_chars)
      : max_chars_(std::max<std::size_t>(max_chars, 8)) {}

  void AddWord(std::string_view word) {
    if (word.size() > max_chars_) {
      for (const std::string& piece : CutWord(word, max_chars_)) AddWord(piece);
      return;
    }
    if (!current_.empty() && current_.size() + 1 + word.size() > max_chars_) Flush();
    if (!current_.empty()) current_ += ' ';
    current_ += word;
    if (EndsSentence(word)) Flush();
  }

  void Flush() {
    if (!current_.empty()) out_.push_back(std::move(current_));
    current_.clear();
  }

  std::vector<std::string> Take() {
    Flush();
    return std::move(out_);
  }

 private:
  std::size_t max_chars_;
  std::string current_;
  std::vector<std::string> out_;
};

}  // namespace

std::uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t total_pages = 0, resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status ValidateSynthesis(std::string_view engine, std::string_view text,
                         const SynthesizeOptions& options) {
  const std::string who = "engine '" + std::string(engine) + "': ";
  if (std::all_of(text.begin(), text.end(), IsSpace)) {
    return Status(ErrorCode::kInvalidArgument, who + "the text to synthesize is empty");
  }
  if (!std::isfinite(options.speed) || options.speed < kMinSpeed || options.speed > kMaxSpeed) {
    return Status(ErrorCode::kInvalidArgument,
                  who + "speed must be between 0.25 and 4.0, got " + std::to_string(options.speed));
  }
  if (options.sample_rate != 0 &&
      (options.sample_rate < kMinSampleRate || options.sample_rate > kMaxSampleRate)) {
    return Status(ErrorCode::kInvalidArgument,
                  who + "sample_rate must be 0 (native) or between 8000 and 192000, got " +
                      std::to_string(options.sample_rate));
  }
  return Status::Ok();
}

std::vector<std::string> SplitSentences(std::string_view text, std::size_t max_chars) {
  SentenceBuilder builder(max_chars);
  std::size_t i = 0;
  while (i < text.size()) {
    int newlines = 0;
    while (i < text.size() && IsSpace(text[i])) newlines += text[i++] == '\n' ? 1 : 0;
    if (newlines >= 2) builder.Flush();  // a blank line ends a paragraph
    const std::size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) builder.AddWord(text.substr(start, i - start));
  }
  return builder.Take();
}

SpeechAudio ToRate(std::vector<std::int16_t> pcm, int from_rate, int to_rate) {
  SpeechAudio out;
  if (to_rate == 0 || to_rate == from_rate) {
    out.pcm = std::move(pcm);
    out.sample_rate = from_rate;
    return out;
  }
  out.pcm = audio::ResampleInt16(pcm, from_rate, to_rate);
  out.sample_rate = to_rate;
  return out;
}

void Append(SpeechAudio& whole, const SpeechAudio& part) {
  if (whole.pcm.empty()) whole.sample_rate = part.sample_rate;
  whole.pcm.insert(whole.pcm.end(), part.pcm.begin(), part.pcm.end());
}

Result<SpeechAudio> Collect(const SynthesizeOptions& options,
                            const std::function<Status(const SentenceCallback&)>& synthesize) {
  SpeechAudio whole;
  whole.sample_rate = options.sample_rate;
  Status st = synthesize([&whole](SpeechAudio sentence) {
    Append(whole, sentence);
    return true;
  });
  if (!st.ok()) return st;
  return whole;
}

}  // namespace harvis::tts
