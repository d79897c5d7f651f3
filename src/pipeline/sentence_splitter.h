// SentenceSplitter: cuts an LLM token stream into speakable chunks for text-to-speech.
//
// A chunk ends at `.`, `!`, `?`, `…` (or runs such as `?!`, `...`, with closing quotes)
// followed by whitespace, at a blank line, and at the newline ending a list item or a
// heading. Not a boundary: abbreviations (Mr. Dr. e.g. U.S. etc. ...; "No."/"Fig." only
// before a number), single capital initials ("J. K. Rowling"), decimals, versions, URLs,
// e-mails and file names (no whitespace after the dot), numbered-list markers at the
// start of a line, and an ellipsis followed by a lowercase word.
// Markdown: fenced code (```...```) is dropped; inline backticks, `*` and `__`
// emphasis and `#` heading markers are stripped; `-`, `*`, `•` bullets are dropped and
// "N." / "N)" markers kept as "N.". Every list item is its own chunk.
// Chunks are trimmed, whitespace-collapsed, never empty and never longer than
// max_chars (cut at the last `,` `;` `:` or space, else at a UTF-8 boundary).
// The output does not depend on how the text is split into Push() calls.
//
// Thread safety: none; one splitter per stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace harvis::pipeline {

struct SplitterOptions {
  size_t max_chars = 300;  // longest chunk, in bytes
  size_t min_chars = 1;    // a sentence shorter than this is joined with the next one
};

class SentenceSplitter {
 public:
  explicit SentenceSplitter(SplitterOptions o = {});

  // Appends streamed text; returns the chunks it completed (possibly none).
  std::vector<std::string> Push(std::string_view text);
  // Ends the stream: returns what is left (possibly nothing) and resets the splitter.
  std::vector<std::string> Finish();

 private:
  enum class Match { kNo, kYes, kMore };
  using Out = std::vector<std::string>;

  void Scan(bool final, Out& out);
  bool Step(Out& out);  // false: needs more input
  bool StepLineStart(Out& out);
  bool StepCode();
  bool StepTerminator(Out& out);
  Match MatchAt(size_t i, std::string_view lit) const;
  bool IsBoundaryAfter(const std::string& term, size_t j) const;
  void AppendSpace();
  void AppendText(std::string_view s, Out& out);
  void Flush(Out& out);

  SplitterOptions opt_;
  std::string buf_;      // raw input not yet consumed
  size_t pos_ = 0;       // scan position in buf_
  bool final_ = false;   // end of stream: no more input will come
  std::string pending_;  // cleaned text of the chunk being built
  bool line_start_ = true;
  bool in_item_ = false;  // list item or heading: the newline ends the chunk
  bool in_code_ = false;  // inside a ``` fence
};

}  // namespace harvis::pipeline
