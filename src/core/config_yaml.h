// Helpers for reading typed YAML values with errors that name file, line and field.
// Internal to core/config.cpp; not a public API.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace harvis::config_detail {

// Thrown inside the parser only; LoadConfig turns it into a Status.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class YamlReader {
 public:
  explicit YamlReader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& field,
                         const std::string& what) const;

  // Rejects keys not in `allowed` (and a non-map node).
  void ExpectKeys(const YAML::Node& map, const std::string& field,
                  std::initializer_list<const char*> allowed) const;

  std::string Scalar(const YAML::Node& node, const std::string& field) const;
  std::string String(const YAML::Node& node, const std::string& field) const;
  bool Bool(const YAML::Node& node, const std::string& field) const;
  long long Integer(const YAML::Node& node, const std::string& field, long long min,
                    long long max) const;
  double Fraction(const YAML::Node& node, const std::string& field) const;
  uint64_t Size(const YAML::Node& node, const std::string& field) const;
  std::chrono::milliseconds Duration(const YAML::Node& node, const std::string& field) const;
  std::chrono::milliseconds KeepAlive(const YAML::Node& node, const std::string& field) const;
  // One of `choices`, else an error listing them.
  std::string Choice(const YAML::Node& node, const std::string& field,
                     std::initializer_list<const char*> choices) const;

 private:
  std::string source_;
};

}  // namespace harvis::config_detail
