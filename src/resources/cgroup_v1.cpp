// cgroup v1 (one hierarchy per controller): memory/memory.limit_in_bytes,
// memory.usage_in_bytes, cpu/cpu.cfs_quota_us and cpu.cfs_period_us, and
// cpuacct/cpuacct.usage; cpu and cpuacct may be mounted together as "cpu,cpuacct".
#include "resources/cgroup_internal.h"
#include "resources/text_file.h"

namespace harvis::resources {

namespace fs = std::filesystem;

namespace {

// The kernel writes "no limit" as a huge page-aligned number (9223372036854771712 on
// x86-64); anything from 2^62 up is treated as no limit.
constexpr uint64_t kV1UnlimitedFrom = uint64_t{1} << 62;

// The first of `names` that is a directory under `root`, or nullopt.
std::optional<fs::path> ControllerMount(const fs::path& root,
                                        std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::error_code error;
    if (fs::is_directory(root / name, error)) return root / name;
  }
  return std::nullopt;
}

std::string SelfPath(const std::map<std::string, std::string>& self, const char* controller) {
  const auto found = self.find(controller);
  return found == self.end() ? "/" : found->second;
}

std::optional<uint64_t> ReadMemoryLimit(const fs::path& file,
                                        std::vector<std::string>& problems) {
  const auto text = ReadTextFile(file);
  if (!text) return std::nullopt;
  const auto limit = ParseUint64(*text);
  if (!limit) problems.push_back(DescribeMalformed(file, *text));
  if (!limit || *limit >= kV1UnlimitedFrom) return std::nullopt;
  return limit;
}

// cfs_quota_us / cfs_period_us; quota -1 means no limit.
std::optional<double> ReadCfsQuota(const fs::path& dir, std::vector<std::string>& problems) {
  const auto quota_text = ReadTextFile(dir / "cpu.cfs_quota_us");
  if (!quota_text) return std::nullopt;
  const auto quota = ParseInt64(*quota_text);
  if (quota && *quota == -1) return std::nullopt;
  if (!quota || *quota <= 0) {
    problems.push_back(DescribeMalformed(dir / "cpu.cfs_quota_us", *quota_text));
    return std::nullopt;
  }
  const auto period_text = ReadTextFile(dir / "cpu.cfs_period_us");
  const auto period = period_text ? ParseUint64(*period_text) : std::nullopt;
  if (!period || *period == 0) {
    problems.push_back(DescribeMalformed(dir / "cpu.cfs_period_us",
                                         period_text.value_or("<missing>")));
    return std::nullopt;
  }
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

void ReadV1Memory(const fs::path& mount, const std::string& self_path,
                  CgroupReading& reading) {
  const auto chain = CgroupChain(mount, self_path);
  for (const auto& dir : chain) {
    const auto limit = ReadMemoryLimit(dir / "memory.limit_in_bytes", reading.problems);
    reading.memory_limit_bytes = TighterLimit(reading.memory_limit_bytes, limit);
  }
  const fs::path usage_file = chain.front() / "memory.usage_in_bytes";
  const auto text = ReadTextFile(usage_file);
  if (!text) return;
  if (const auto usage = ParseUint64(*text)) {
    reading.memory_used_bytes = WorkingSet(*usage, chain.front() / "memory.stat",
                                           "total_inactive_file");
  } else {
    reading.problems.push_back(DescribeMalformed(usage_file, *text));
  }
}

void ReadV1Cpu(const fs::path& mount, const std::string& self_path, CgroupReading& reading) {
  for (const auto& dir : CgroupChain(mount, self_path)) {
    const auto cores = ReadCfsQuota(dir, reading.problems);
    if (cores && (!reading.cpu_quota_cores || *cores < *reading.cpu_quota_cores)) {
      reading.cpu_quota_cores = cores;
    }
  }
}

void ReadV1CpuUsage(const fs::path& mount, const std::string& self_path,
                    CgroupReading& reading) {
  const fs::path file = CgroupChain(mount, self_path).front() / "cpuacct.usage";
  const auto text = ReadTextFile(file);
  if (!text) return;
  if (const auto nanoseconds = ParseUint64(*text)) {
    reading.cpu_usage_usec = *nanoseconds / 1000;
  } else {
    reading.problems.push_back(DescribeMalformed(file, *text));
  }
}

}  // namespace

CgroupReading ReadCgroupV1(const fs::path& root,
                           const std::map<std::string, std::string>& self) {
  CgroupReading reading;
  if (const auto memory = ControllerMount(root, {"memory"})) {
    ReadV1Memory(*memory, SelfPath(self, "memory"), reading);
  }
  if (const auto cpu = ControllerMount(root, {"cpu", "cpu,cpuacct", "cpuacct,cpu"})) {
    ReadV1Cpu(*cpu, SelfPath(self, "cpu"), reading);
  }
  if (const auto cpuacct = ControllerMount(root, {"cpuacct", "cpu,cpuacct", "cpuacct,cpu"})) {
    ReadV1CpuUsage(*cpuacct, SelfPath(self, "cpuacct"), reading);
  }
  return reading;
}

}  // namespace harvis::resources
