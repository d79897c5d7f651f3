// Host RAM and CPU limits and usage as the container sees them: cgroup v2 or v1 when
// a limit applies, /proc and the CPU affinity mask when it does not. Roots are
// parameters so tests read fixture trees instead of the live system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harvis::resources {

struct HostPaths {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
};

enum class CgroupVersion { kNone, kV1, kV2 };

struct HostResources {
  // RAM limit: the cgroup limit when one applies (capped by MemTotal), else MemTotal.
  uint64_t ram_limit_bytes = 0;
  // RAM in use: the cgroup's usage minus its inactive file cache (the "working set",
  // as kubectl top and the kubelet count it), else MemTotal - MemAvailable.
  uint64_t ram_used_bytes = 0;
  // Cores allowed: cgroup quota / period when limited (12 for a 12-core quota, even on
  // a larger host), else the CPUs in our affinity mask.
  double cpu_allocated_cores = 0;
  // Cumulative busy CPU time: the cgroup's own when readable, else the host's (/proc).
  uint64_t cpu_usage_usec = 0;
  bool cpu_usage_from_cgroup = false;
  std::string source = "proc";  // "cgroup v2", "cgroup v1" or "proc"
  bool ram_limited = false;
  bool cpu_limited = false;
  // Files that existed but could not be parsed, and readings that fell back; for
  // `harvis doctor` and the logs. Empty when everything read cleanly.
  std::vector<std::string> problems;
};

// Which cgroup layout `cgroup_root` has: v2 when cgroup.controllers is present at the
// root, v1 when a memory or cpu controller directory is, else none. Thread-safe.
CgroupVersion DetectCgroupVersion(const std::string& cgroup_root);

// One reading of limits and usage. Never throws and never fails: missing or malformed
// files fall back to /proc and are listed in `problems`. Thread-safe (reads files only).
HostResources ReadHostResources(const HostPaths& paths);

}  // namespace harvis::resources
