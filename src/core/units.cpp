#include "core/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace harvis {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads a non-negative decimal number ("12", "1.5") from the front of `s`.
std::optional<double> TakeNumber(std::string_view& s) {
  size_t i = 0;
  bool digits = false, dot = false;
  while (i < s.size()) {
    char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++i;
  }
  if (!digits) return std::nullopt;
  std::string num(s.substr(0, i));
  s.remove_prefix(i);
  return std::strtod(num.c_str(), nullptr);
}

std::optional<uint64_t> SizeMultiplier(std::string_view unit) {
  struct Unit { std::string_view name; uint64_t mult; };
  static constexpr Unit kUnits[] = {
      {"", 1},          {"B", 1},
      {"K", 1000},      {"KB", 1000},        {"Ki", kKiB}, {"KiB", kKiB},
      {"M", 1000000},   {"MB", 1000000},     {"Mi", kMiB}, {"MiB", kMiB},
      {"G", 1000000000}, {"GB", 1000000000}, {"Gi", kGiB}, {"GiB", kGiB},
      {"T", 1000000000000ull}, {"TB", 1000000000000ull},
      {"Ti", 1024ull * kGiB}, {"TiB", 1024ull * kGiB},
  };
  for (const auto& u : kUnits) {
    if (u.name == unit) return u.mult;
  }
  return std::nullopt;
}

std::optional<double> DurationUnitMs(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "m") return 60000.0;
  if (unit == "h") return 3600000.0;
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> ParseSize(std::string_view text) {
  std::string_view s = Trim(text);
  auto number = TakeNumber(s);
  if (!number) return std::nullopt;
  auto mult = SizeMultiplier(Trim(s));
  if (!mult) return std::nullopt;
  if (*mult == 1 && std::floor(*number) != *number) return std::nullopt;  // "1.5" bytes
  double bytes = *number * static_cast<double>(*mult);
  if (bytes > 1.8e19) return std::nullopt;
  return static_cast<uint64_t>(std::llround(bytes));
}

std::optional<Duration> ParseDuration(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return std::nullopt;
  double total_ms = 0;
  bool first = true;
  while (!s.empty()) {
    auto number = TakeNumber(s);
    if (!number) return std::nullopt;
    size_t unit_len = 0;
    while (unit_len < s.size() && std::isalpha(static_cast<unsigned char>(s[unit_len]))) ++unit_len;
    std::string_view unit = s.substr(0, unit_len);
    s.remove_prefix(unit_len);
    if (unit.empty()) {
      if (!first || !s.empty()) return std::nullopt;  // "30" alone means seconds
      total_ms = *number * 1000.0;
      break;
    }
    auto ms = DurationUnitMs(unit);
    if (!ms) return std::nullopt;
    total_ms += *number * *ms;
    first = false;
  }
  if (total_ms > 1e15) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(total_ms)));
}

std::optional<Duration> ParseKeepAlive(std::string_view text) {
  std::string_view s = Trim(text);
  if (!s.empty() && s.front() == '-') {
    return ParseDuration(s.substr(1)) ? std::optional<Duration>(kForever) : std::nullopt;
  }
  return ParseDuration(s);
}

std::string FormatBytes(uint64_t bytes) {
  char buf[64];
  if (bytes >= kGiB) {
    std::snprintf(buf, sizeof buf, "%.1fGiB", static_cast<double>(bytes) / kGiB);
  } else if (bytes >= kMiB) {
    std::snprintf(buf, sizeof buf, "%.1fMiB", static_cast<double>(bytes) / kMiB);
  } else if (bytes >= kKiB) {
    std::snprintf(buf, sizeof buf, "%.1fKiB", static_cast<double>(bytes) / kKiB);
  } else {
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

std::string FormatDuration(Duration d) {
  if (d == kForever) return "forever";
  char buf[64];
  if (d.count() % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(d.count() / 1000));
  } else if (d.count() > 1000) {
    std::snprintf(buf, sizeof buf, "%.3gs", d.count() / 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(d.count()));
  }
  return buf;
}

}  // namespace harvis
