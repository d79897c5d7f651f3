// Word error rate for the speech-recognition tests: Levenshtein distance over words
// (substitutions, insertions, deletions) divided by the number of reference words,
// after lower-casing and stripping punctuation (apostrophes kept: "don't").
#pragma once

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

namespace harvis::testing {

inline std::vector<std::string> NormalizedWords(const std::string& text) {
  std::string cleaned;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'') {
      cleaned += static_cast<char>(std::tolower(u));
    } else {
      cleaned += ' ';
    }
  }
  std::istringstream in(cleaned);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Edit distance between two word sequences.
inline std::size_t WordEdits(const std::vector<std::string>& ref,
                             const std::vector<std::string>& hyp) {
  std::vector<std::size_t> previous(hyp.size() + 1), current(hyp.size() + 1);
  for (std::size_t j = 0; j <= hyp.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= ref.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= hyp.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1);
      current[j] = std::min({substitute, previous[j] + 1, current[j - 1] + 1});
    }
    std::swap(previous, current);
  }
  return previous[hyp.size()];
}

inline double WordErrorRate(const std::string& reference, const std::string& hypothesis) {
  const auto ref = NormalizedWords(reference);
  const auto hyp = NormalizedWords(hypothesis);
  if (ref.empty()) return hyp.empty() ? 0.0 : 1.0;
  return static_cast<double>(WordEdits(ref, hyp)) / static_cast<double>(ref.size());
}

}  // namespace harvis::testing
