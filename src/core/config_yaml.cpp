#include "core/config_yaml.h"

#include <cerrno>
#include <cstdlib>

#include "core/units.h"

namespace harvis::config_detail {

void YamlReader::Fail(const YAML::Node& node, const std::string& field,
                      const std::string& what) const {
  std::string where = source_;
  if (node.IsDefined() && node.Mark().line >= 0) {
    where += ":" + std::to_string(node.Mark().line + 1);
  }
  throw ConfigError(where + ": " + field + ": " + what);
}

void YamlReader::ExpectKeys(const YAML::Node& map, const std::string& field,
                            std::initializer_list<const char*> allowed) const {
  if (!map.IsMap()) Fail(map, field, "expected a mapping");
  for (const auto& entry : map) {
    std::string key = entry.first.Scalar();
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known = known || key == a;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    std::string path = field.empty() ? key : field + "." + key;
    if (!known) Fail(entry.first, path, "unknown field (known: " + list + ")");
  }
}

std::string YamlReader::Scalar(const YAML::Node& node, const std::string& field) const {
  if (!node.IsScalar()) Fail(node, field, "expected a single value, not a list or mapping");
  return node.Scalar();
}

std::string YamlReader::String(const YAML::Node& node, const std::string& field) const {
  if (node.IsNull()) return "";
  return Scalar(node, field);
}

bool YamlReader::Bool(const YAML::Node& node, const std::string& field) const {
  std::string v = Scalar(node, field);
  if (v == "true" || v == "True" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "False" || v == "no" || v == "off") return false;
  Fail(node, field, "expected true or false, got '" + v + "'");
}

long long YamlReader::Integer(const YAML::Node& node, const std::string& field, long long min,
                              long long max) const {
  std::string v = Scalar(node, field);
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE) {
    Fail(node, field, "expected an integer, got '" + v + "'");
  }
  if (n < min || n > max) {
    Fail(node, field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return n;
}

double YamlReader::Fraction(const YAML::Node& node, const std::string& field) const {
  std::string v = Scalar(node, field);
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d > 0.0 && d <= 1.0)) {
    Fail(node, field, "expected a fraction in (0, 1], got '" + v + "'");
  }
  return d;
}

uint64_t YamlReader::Size(const YAML::Node& node, const std::string& field) const {
  std::string v = Scalar(node, field);
  auto size = ParseSize(v);
  if (!size) Fail(node, field, "invalid size '" + v + "' (examples: 600MiB, 24GiB, 24GB)");
  return *size;
}

std::chrono::milliseconds YamlReader::Duration(const YAML::Node& node,
                                               const std::string& field) const {
  std::string v = Scalar(node, field);
  auto d = ParseDuration(v);
  if (!d) Fail(node, field, "invalid duration '" + v + "' (examples: 250ms, 30s, 5m, 1h)");
  return *d;
}

std::chrono::milliseconds YamlReader::KeepAlive(const YAML::Node& node,
                                                const std::string& field) const {
  std::string v = Scalar(node, field);
  auto d = ParseKeepAlive(v);
  if (!d) {
    Fail(node, field, "invalid keep_alive '" + v + "' (a duration such as 5m, 0, or -1 for forever)");
  }
  return *d;
}

std::string YamlReader::Choice(const YAML::Node& node, const std::string& field,
                               std::initializer_list<const char*> choices) const {
  std::string v = Scalar(node, field);
  std::string list;
  for (const char* c : choices) {
    if (v == c) return v;
    list += (list.empty() ? "" : ", ") + std::string(c);
  }
  Fail(node, field, "'" + v + "' is not one of: " + list);
}

}  // namespace harvis::config_detail
