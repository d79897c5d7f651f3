#include "resources/cgroup.h"

#include <algorithm>

#include "resources/cgroup_internal.h"
#include "resources/proc_stats.h"
#include "resources/text_file.h"

namespace harvis::resources {

namespace fs = std::filesystem;

namespace {

bool Exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

void FillMemory(const fs::path& proc_root, const CgroupReading& cgroup,
                HostResources& host) {
  const auto proc = ReadProcMemory(proc_root);
  if (!proc) {
    host.problems.push_back("cannot read MemTotal/MemAvailable from " +
                            (proc_root / "meminfo").string());
  }
  if (cgroup.memory_limit_bytes) {
    // A limit above the machine's memory limits nothing: the machine is the limit.
    host.ram_limited = !proc || *cgroup.memory_limit_bytes <= proc->total_bytes;
    host.ram_limit_bytes = proc ? std::min(*cgroup.memory_limit_bytes, proc->total_bytes)
                                : *cgroup.memory_limit_bytes;
  } else if (proc) {
    host.ram_limit_bytes = proc->total_bytes;
  }
  if (cgroup.memory_used_bytes) {
    host.ram_used_bytes = *cgroup.memory_used_bytes;
  } else if (proc) {
    host.ram_used_bytes = proc->total_bytes - proc->available_bytes;
  }
}

void FillCpu(const fs::path& proc_root, const CgroupReading& cgroup, HostResources& host) {
  host.cpu_limited = cgroup.cpu_quota_cores.has_value();
  host.cpu_allocated_cores =
      cgroup.cpu_quota_cores.value_or(static_cast<double>(HostCpuCount()));
  if (cgroup.cpu_usage_usec) {
    host.cpu_usage_usec = *cgroup.cpu_usage_usec;
    host.cpu_usage_from_cgroup = true;
  } else if (const auto host_usage = ReadProcCpuUsageUsec(proc_root)) {
    host.cpu_usage_usec = *host_usage;
  } else {
    host.problems.push_back("cannot read CPU time from " + (proc_root / "stat").string());
  }
}

}  // namespace

std::string DescribeMalformed(const fs::path& file, std::string_view text) {
  std::string shown(Trim(text).substr(0, 40));
  return "malformed " + file.string() + ": \"" + shown + "\"";
}

std::vector<fs::path> CgroupChain(const fs::path& mount, const std::string& self_path) {
  const fs::path relative = fs::path(self_path).lexically_normal().relative_path();
  std::error_code error;
  const bool escapes = !relative.empty() && *relative.begin() == "..";
  if (relative.empty() || escapes || !fs::is_directory(mount / relative, error)) {
    return {mount};
  }
  std::vector<fs::path> chain;
  for (fs::path dir = relative; !dir.empty(); dir = dir.parent_path()) {
    chain.push_back(mount / dir);
  }
  chain.push_back(mount);
  return chain;
}

std::optional<uint64_t> TighterLimit(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

uint64_t WorkingSet(uint64_t usage, const fs::path& stat_file, const char* inactive_key) {
  const auto text = ReadTextFile(stat_file);
  const auto inactive = text ? FindKeyedValue(*text, inactive_key) : std::nullopt;
  return inactive && *inactive < usage ? usage - *inactive : usage;
}

CgroupVersion DetectCgroupVersion(const std::string& cgroup_root) {
  const fs::path root(cgroup_root);
  if (Exists(root / "cgroup.controllers")) return CgroupVersion::kV2;
  for (const char* controller : {"memory", "cpu", "cpuacct", "cpu,cpuacct"}) {
    if (Exists(root / controller)) return CgroupVersion::kV1;
  }
  return CgroupVersion::kNone;
}

HostResources ReadHostResources(const HostPaths& paths) {
  HostResources host;
  const fs::path cgroup_root(paths.cgroup_root);
  const fs::path proc_root(paths.proc_root);
  CgroupReading cgroup;
  switch (DetectCgroupVersion(paths.cgroup_root)) {
    case CgroupVersion::kV2:
      host.source = "cgroup v2";
      cgroup = ReadCgroupV2(cgroup_root, ReadSelfCgroups(proc_root));
      break;
    case CgroupVersion::kV1:
      host.source = "cgroup v1";
      cgroup = ReadCgroupV1(cgroup_root, ReadSelfCgroups(proc_root));
      break;
    case CgroupVersion::kNone:
      break;
  }
  host.problems = std::move(cgroup.problems);
  FillMemory(proc_root, cgroup, host);
  FillCpu(proc_root, cgroup, host);
  return host;
}

}  // namespace harvis::resources
