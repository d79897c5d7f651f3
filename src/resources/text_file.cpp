#include "resources/text_file.h"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace harvis::resources {

std::optional<std::string> ReadTextFile(const std::filesystem::path& path,
                                        size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char chunk[4096];
  while (text.size() < max_bytes && in) {
    const size_t wanted = std::min(sizeof(chunk), max_bytes - text.size());
    in.read(chunk, static_cast<std::streamsize>(wanted));
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  return text;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

namespace {

template <typename Number>
std::optional<Number> ParseWhole(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  Number value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<uint64_t> ParseUint64(std::string_view text) {
  return ParseWhole<uint64_t>(text);
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  return ParseWhole<int64_t>(text);
}

std::optional<uint64_t> FindKeyedValue(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    line = Trim(line);
    if (line.size() <= key.size() || line.substr(0, key.size()) != key) continue;
    const char after = line[key.size()];
    if (after != ' ' && after != '\t') continue;
    std::string_view rest = Trim(line.substr(key.size()));
    return ParseUint64(rest.substr(0, rest.find_first_of(" \t")));
  }
  return std::nullopt;
}

}  // namespace harvis::resources
