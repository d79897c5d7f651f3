// Version-specific cgroup readers behind ReadHostResources. Internal to the resources
// layer; each field is nullopt when unlimited, absent or malformed (malformed adds a
// line to `problems`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harvis::resources {

struct CgroupReading {
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<uint64_t> memory_used_bytes;  // already minus inactive file cache
  std::optional<double> cpu_quota_cores;
  std::optional<uint64_t> cpu_usage_usec;
  std::vector<std::string> problems;
};

// Our own cgroup directories, leaf first, then each ancestor up to `mount`: limits may
// be set on any of them (a Kubernetes pod's limit sits above its container's).
// `self_path` is our path from /proc/self/cgroup; a path that does not exist under the
// mount (a host path seen from inside a container) yields just `mount`.
std::vector<std::filesystem::path> CgroupChain(const std::filesystem::path& mount,
                                               const std::string& self_path);

// "malformed FILE: "TEXT"" for `problems`, with TEXT shortened.
std::string DescribeMalformed(const std::filesystem::path& file, std::string_view text);

// The smaller of two optional limits (nullopt = unlimited).
std::optional<uint64_t> TighterLimit(std::optional<uint64_t> a, std::optional<uint64_t> b);

// Usage minus the inactive file cache found under `inactive_key` in `stat_file`.
uint64_t WorkingSet(uint64_t usage, const std::filesystem::path& stat_file,
                    const char* inactive_key);

// Readers for each layout; `self` is ReadSelfCgroups' result.
CgroupReading ReadCgroupV2(const std::filesystem::path& root,
                           const std::map<std::string, std::string>& self);
CgroupReading ReadCgroupV1(const std::filesystem::path& root,
                           const std::map<std::string, std::string>& self);

}  // namespace harvis::resources
