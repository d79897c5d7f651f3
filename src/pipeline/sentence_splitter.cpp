#include "pipeline/sentence_splitter.h"

#include <algorithm>
#include <array>

namespace harvis::pipeline {
namespace {

constexpr std::string_view kFence = "```";
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // …
constexpr std::string_view kBullet = "\xE2\x80\xA2";    // •
constexpr std::array<std::string_view, 3> kWideClosers = {kEllipsis, "\xE2\x80\x9D",
                                                          "\xE2\x80\x99"};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlnum(char c) { return IsDigit(c) || IsLower(c) || IsUpper(c); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Something a voice can say: a letter or digit, or any non-ASCII character.
bool Speakable(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80; });
}

enum class Abbrev { kNone, kAlways, kBeforeNumber };

// Decides from the word before a '.' whether the '.' abbreviates rather than ends.
Abbrev Abbreviation(std::string_view pending) {
  const size_t space = pending.find_last_of(' ');
  std::string_view word = pending.substr(space == std::string_view::npos ? 0 : space + 1);
  while (!word.empty() && !IsAlnum(word.front())) word.remove_prefix(1);
  if (word.size() == 1 && IsUpper(word[0]) && word[0] != 'I') return Abbrev::kAlways;  // initial
  std::string lower(word);
  for (char& c : lower) c = IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  static constexpr std::array<std::string_view, 13> kWords = {
      "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "approx", "inc", "ltd"};
  if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) return Abbrev::kAlways;
  if (lower == "no" || lower == "fig") return Abbrev::kBeforeNumber;
  // Dotted single letters: e.g, i.e, a.m, p.m, u.s, u.s.a.
  bool dotted = lower.size() >= 3 && lower.size() % 2 == 1;
  for (size_t i = 0; dotted && i < lower.size(); ++i) {
    dotted = (i % 2 == 0) ? IsLower(lower[i]) : lower[i] == '.';
  }
  return dotted ? Abbrev::kAlways : Abbrev::kNone;
}

// Length of the first piece of an over-long chunk: up to the last `,` `;` `:` or space
// that keeps it within max, else the last UTF-8 character boundary at or before max;
// 0 when no piece can be cut yet.
size_t CutPoint(std::string_view s, size_t max) {
  size_t cut = 0;
  for (size_t i = 1; i < s.size() && i <= max; ++i) {
    if (s[i] == ' ') cut = i;
    if ((s[i] == ',' || s[i] == ';' || s[i] == ':') && i + 1 <= max) cut = i + 1;
  }
  if (cut > 0) return cut;
  auto continuation = [&](size_t i) { return (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
  cut = max;
  while (cut > 0 && continuation(cut)) --cut;
  if (cut > 0) return cut;
  // max is shorter than the first character: that character alone, once it is complete.
  const auto lead = static_cast<unsigned char>(s[0]);
  const size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return len <= s.size() ? len : 0;
}

}  // namespace

SentenceSplitter::SentenceSplitter(SplitterOptions o) : opt_(o) {
  opt_.max_chars = std::max<size_t>(opt_.max_chars, 1);
}

std::vector<std::string> SentenceSplitter::Push(std::string_view text) {
  buf_.append(text);
  Out out;
  Scan(/*final=*/false, out);
  return out;
}

std::vector<std::string> SentenceSplitter::Finish() {
  Out out;
  Scan(/*final=*/true, out);
  Flush(out);
  *this = SentenceSplitter(opt_);
  return out;
}

void SentenceSplitter::Scan(bool final, Out& out) {
  final_ = final;
  while (pos_ < buf_.size() && Step(out)) {
  }
  buf_.erase(0, pos_);
  pos_ = 0;
}

SentenceSplitter::Match SentenceSplitter::MatchAt(size_t i, std::string_view lit) const {
  for (size_t k = 0; k < lit.size(); ++k) {
    if (i + k >= buf_.size()) return final_ ? Match::kNo : Match::kMore;
    if (buf_[i + k] != lit[k]) return Match::kNo;
  }
  return Match::kYes;
}

// One unit of input: a character, a markup run, a line start or a terminator run. Every
// decision is taken only once enough input is there to take it as it would be taken
// with all of the text, so the output does not depend on how the input was cut.
bool SentenceSplitter::Step(Out& out) {
  if (in_code_) return StepCode();
  if (line_start_) return StepLineStart(out);
  const char c = buf_[pos_];
  if (c == '`') {
    const Match m = MatchAt(pos_, kFence);
    if (m == Match::kMore) return false;
    if (m == Match::kYes) Flush(out);
    in_code_ = m == Match::kYes;
    pos_ += in_code_ ? kFence.size() : 1;  // an inline-code backtick is dropped
    return true;
  }
  if (c == '*' || c == '_') {  // emphasis is dropped; a lone '_' (snake_case) is kept
    size_t j = pos_;
    while (j < buf_.size() && buf_[j] == c) ++j;
    if (j == buf_.size() && !final_) return false;
    if (c == '_' && j - pos_ == 1) AppendText("_", out);
    pos_ = j;
    return true;
  }
  if (c == '\n') {
    if (in_item_) Flush(out);
    AppendSpace();
    in_item_ = false;
    line_start_ = true;
    ++pos_;
    return true;
  }
  const Match ellipsis = MatchAt(pos_, kEllipsis);
  if (ellipsis == Match::kMore) return false;
  if (c == '.' || c == '!' || c == '?' || ellipsis == Match::kYes) return StepTerminator(out);
  if (IsSpace(c)) {
    AppendSpace();
  } else {
    AppendText(std::string_view(&buf_[pos_], 1), out);
  }
  ++pos_;
  return true;
}

// At the start of a line: a blank line ends the chunk; a bullet ("-", "*", "•"), a
// numbered marker ("12." or "3)") or a heading ("##") starts a chunk of its own.
bool SentenceSplitter::StepLineStart(Out& out) {
  const size_t n = buf_.size();
  while (pos_ < n && (buf_[pos_] == ' ' || buf_[pos_] == '\t' || buf_[pos_] == '\r')) ++pos_;
  if (pos_ == n) return false;
  const char c = buf_[pos_];
  if (c == '\n') {
    Flush(out);
    in_item_ = false;
    ++pos_;
    return true;
  }
  size_t j = pos_;
  if (c == '#') {
    while (j < n && buf_[j] == '#') ++j;
  } else if (c == '-' || c == '*') {
    j = pos_ + 1;
  } else if (IsDigit(c)) {
    while (j < n && IsDigit(buf_[j]) && j - pos_ < 9) ++j;
    if (j < n) j = (buf_[j] == '.' || buf_[j] == ')') ? j + 1 : pos_;
  } else {
    const Match m = MatchAt(pos_, kBullet);
    if (m == Match::kMore) return false;
    j = m == Match::kYes ? pos_ + kBullet.size() : pos_;
  }
  if (j >= n && !final_) return false;
  line_start_ = false;
  if (j == pos_ || j >= n || (buf_[j] != ' ' && buf_[j] != '\t')) return true;  // plain text
  Flush(out);
  in_item_ = true;
  if (IsDigit(c)) pending_ = buf_.substr(pos_, j - pos_ - 1) + ".";
  pos_ = j;
  return true;
}

// Inside a code fence: everything up to and including the closing ``` is dropped.
bool SentenceSplitter::StepCode() {
  const size_t end = buf_.find(kFence, pos_);
  if (end != std::string::npos) {
    pos_ = end + kFence.size();
    in_code_ = false;
    return true;
  }
  // Keep the last two bytes: they may begin the closing fence.
  const size_t keep = final_ ? 0 : std::min<size_t>(buf_.size(), kFence.size() - 1);
  pos_ = std::max(pos_, buf_.size() - keep);
  return false;
}

// A run of terminators with closing quotes and brackets ("?!", "...", ".\"", "…)").
bool SentenceSplitter::StepTerminator(Out& out) {
  const size_t n = buf_.size();
  std::string term;
  size_t j = pos_;
  while (true) {
    if (j < n && std::string_view(".!?\"')]").find(buf_[j]) != std::string_view::npos) {
      term += buf_[j++];
    } else if (j < n && (buf_[j] == '*' || buf_[j] == '_')) {
      ++j;  // closing emphasis: dropped
    } else {
      Match m = Match::kNo;
      for (std::string_view wide : kWideClosers) {
        if ((m = MatchAt(j, wide)) != Match::kNo) break;
      }
      if (m == Match::kMore) return false;
      if (m == Match::kNo) break;
      term += buf_.substr(j, 3);
      j += 3;
    }
  }
  // A boundary needs whitespace after the run, and one more character to rule out the
  // exceptions; at the end of the stream Finish() flushes anyway.
  if (!final_ && (j >= n || (IsSpace(buf_[j]) && j + 1 >= n))) return false;
  const bool boundary = j < n && IsSpace(buf_[j]) && IsBoundaryAfter(term, j);
  AppendText(term, out);
  pos_ = j;
  if (boundary && Trim(pending_).size() >= opt_.min_chars) Flush(out);
  return true;
}

// Whether `term` (followed by whitespace at buf_[j]) ends the sentence in pending_.
bool SentenceSplitter::IsBoundaryAfter(const std::string& term, size_t j) const {
  const char next = j + 1 < buf_.size() ? buf_[j + 1] : '\0';
  if (term.find("..") != std::string::npos || term.find(kEllipsis) != std::string::npos) {
    return !IsLower(next);  // "wait... what" goes on
  }
  if (term.find_first_of("!?") != std::string::npos) return true;
  const Abbrev abbrev = Abbreviation(pending_);
  return abbrev == Abbrev::kBeforeNumber ? !IsDigit(next) : abbrev == Abbrev::kNone;
}

void SentenceSplitter::AppendSpace() {
  if (!pending_.empty() && pending_.back() != ' ') pending_ += ' ';
}

// Appends cleaned text; cuts chunks off the front while it is longer than max_chars.
void SentenceSplitter::AppendText(std::string_view s, Out& out) {
  pending_.append(s);
  while (pending_.size() > opt_.max_chars) {
    const size_t cut = CutPoint(pending_, opt_.max_chars);
    if (cut == 0) break;
    const std::string_view piece = Trim(std::string_view(pending_).substr(0, cut));
    if (Speakable(piece)) out.emplace_back(piece);
    const size_t rest = pending_.find_first_not_of(' ', cut);
    pending_.erase(0, rest == std::string::npos ? pending_.size() : rest);
  }
}

void SentenceSplitter::Flush(Out& out) {
  const std::string_view chunk = Trim(pending_);
  if (Speakable(chunk)) out.emplace_back(chunk);
  pending_.clear();
}

}  // namespace harvis::pipeline
